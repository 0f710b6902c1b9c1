"""``textql_lifespan``: one client and one relay per app, closed at shutdown; the dependencies."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from fastapi import Depends, FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from textql_async import AsyncTextQL
from textql_async.integrations.starlette import get_client, get_relay, textql_lifespan
from textql_async.relay import AnswerRelay, InMemoryRelay
from textql_async.testing import FakeTextQL


class Opened:
    """Counts what the lifespan's factories opened and closed, in order."""

    def __init__(self, fake: FakeTextQL) -> None:
        self.fake = fake
        self.log: list[str] = []
        self.clients: list[AsyncTextQL] = []
        self.relays: list[AnswerRelay] = []

    @contextlib.asynccontextmanager
    async def client(self) -> AsyncIterator[AsyncTextQL]:
        self.log.append("client open")
        try:
            async with self.fake.client() as client:
                self.clients.append(client)
                yield client
        finally:
            self.log.append("client closed")

    @contextlib.asynccontextmanager
    async def relay(self, client: AsyncTextQL) -> AsyncIterator[AnswerRelay]:
        self.log.append("relay open")
        try:
            async with InMemoryRelay(client) as relay:
                self.relays.append(relay)
                yield relay
        finally:
            self.log.append("relay closed")


async def test_fastapi_app_gets_one_client_and_relay_for_every_request(
    uvicorn_serve: Any,
) -> None:
    async with FakeTextQL() as fake:
        opened = Opened(fake)
        app = FastAPI(lifespan=textql_lifespan(opened.client, opened.relay))
        seen: list[tuple[int, int]] = []

        @app.get("/ids")
        async def ids(
            client: AsyncTextQL = Depends(get_client),  # noqa: B008
            relay: AnswerRelay = Depends(get_relay),  # noqa: B008
        ) -> dict[str, bool]:
            seen.append((id(client), id(relay)))
            return {"same": client is opened.clients[0] and relay is opened.relays[0]}

        async with uvicorn_serve(app) as url, aiohttp.ClientSession() as http:
            assert opened.log == ["client open", "relay open"]
            for _ in range(3):
                async with http.get(url + "/ids") as resp:
                    assert await resp.json() == {"same": True}
        assert len(set(seen)) == 1
        assert opened.log == ["client open", "relay open", "relay closed", "client closed"]
        assert opened.clients[0].is_closed


async def test_starlette_route_calls_the_getters_with_the_request(uvicorn_serve: Any) -> None:
    async with FakeTextQL() as fake:
        opened = Opened(fake)

        async def route(request: Request) -> JSONResponse:
            return JSONResponse(
                {"client": get_client(request) is opened.clients[0],
                 "relay": get_relay(request) is opened.relays[0]}
            )

        app = Starlette(routes=[Route("/", route)], lifespan=textql_lifespan(opened.client, opened.relay))
        async with uvicorn_serve(app) as url, aiohttp.ClientSession() as http:
            async with http.get(url + "/") as resp:
                assert await resp.json() == {"client": True, "relay": True}


async def test_default_factories_read_the_environment(
    uvicorn_serve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeTextQL() as fake:
        monkeypatch.setenv("TEXTQL_API_KEY", fake.api_key)
        monkeypatch.setenv("TEXTQL_MEMBER_ID", fake.member_id)
        monkeypatch.setenv("TEXTQL_BASE_URL", fake.url)

        async def route(request: Request) -> JSONResponse:
            relay = get_relay(request)
            return JSONResponse({"relay": type(relay).__name__,
                                 "client": type(get_client(request)).__name__})

        app = Starlette(routes=[Route("/", route)], lifespan=textql_lifespan())
        async with uvicorn_serve(app) as url, aiohttp.ClientSession() as http:
            async with http.get(url + "/") as resp:
                assert await resp.json() == {"relay": "InMemoryRelay", "client": "AsyncTextQL"}


async def test_without_the_lifespan_the_getter_says_what_is_missing(uvicorn_serve: Any) -> None:
    async def route(request: Request) -> JSONResponse:
        with pytest.raises(RuntimeError, match="textql_lifespan"):
            get_relay(request)
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/", route)])
    async with uvicorn_serve(app) as url, aiohttp.ClientSession() as http:
        async with http.get(url + "/") as resp:
            assert await resp.json() == {"ok": True}


async def test_a_failing_relay_factory_closes_the_client_and_stops_start_up() -> None:
    async with FakeTextQL() as fake:
        opened = Opened(fake)

        @contextlib.asynccontextmanager
        async def broken(client: AsyncTextQL) -> AsyncIterator[AnswerRelay]:
            raise ConnectionRefusedError("redis is down")
            yield  # pragma: no cover

        lifespan = textql_lifespan(opened.client, broken)
        with pytest.raises(ConnectionRefusedError):
            async with lifespan(object()):
                pass  # pragma: no cover
        assert opened.log == ["client open", "client closed"]


def test_without_starlette_the_import_error_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['starlette'] = None\n"
        "try:\n"
        "    import textql_async.integrations.starlette\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "pip install 'textql-async[fastapi]'" in done.stdout, done.stderr
