"""Resumable answers from a FastAPI app: start once, read from any replica, resume after a drop.

    python examples/fastapi_relay/app.py                      # in-process relay, embedded fake
    REDIS_URL=redis://127.0.0.1:6379/0 PORT=8001 python examples/fastapi_relay/app.py
    TEXTQL_API_KEY=... TEXTQL_MEMBER_ID=... python examples/fastapi_relay/app.py   # real TextQL

HTTP contract (a test checks it by name):

    POST /answers             {"question": "..."}, header X-User: <owner>  -> 201 {"answer_id": "..."}
    GET  /answers/{id}/events Server-Sent Events (id: seq, event: snapshot|update|done|error,
                              data: JSON); honours Last-Event-ID; header X-User
    GET  /answers/{id}        {"answer_id", "chat_id", "done", "blocks": [wire JSON], "answer"}
                              (plus "error" when the answer failed)
    an unknown id, or another owner's: 404; no owner: 401

The owner is the ``X-User`` header. A browser's ``EventSource`` cannot set headers, so every
route also accepts the owner as the ``user`` query parameter (``?user=ada``); the header wins
when both are given. (In a real app the owner comes from your authentication, such as a
session cookie, never from what the client claims.)

Also ``GET /`` (the page, plain JS ``EventSource``), ``GET /healthz`` (readiness) and
``WS /answers/{id}/ws`` (the same events as JSON messages, resumed by ``{"after": seq}``).

Settings come from the environment: ``REDIS_URL`` (absent: the in-process relay, one replica
only), ``TEXTQL_API_KEY`` / ``TEXTQL_MEMBER_ID`` / ``TEXTQL_BASE_URL`` (no key: an embedded
``FakeTextQL``, pacing its events by ``FAKE_EVENT_DELAY`` seconds, default 0.08), ``PORT``
(default 8000), ``HOST`` (default 127.0.0.1), ``SSE_KEEPALIVE`` (seconds, default 15),
``REDIS_MAX_CONNECTIONS`` (the pool: one connection per waiting reader, default 1000).
"""

from __future__ import annotations

import contextlib
import os
import pathlib
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Annotated, Any

import msgspec
from fastapi import Depends, FastAPI, HTTPException, Request, WebSocket
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from textql_async import AsyncTextQL
from textql_async.integrations.starlette import (
    get_relay,
    relay_websocket,
    sse_response,
    textql_lifespan,
)
from textql_async.models.ana import block_to_builtins
from textql_async.relay import (
    AnswerNotFoundError,
    AnswerRelay,
    AnswerState,
    InMemoryRelay,
    RedisRelay,
    RelayUnavailableError,
)
from textql_async.testing import FakeTextQL

__all__ = ["Settings", "main", "make_app", "state_json"]

PAGE = pathlib.Path(__file__).with_name("index.html")


class Settings(msgspec.Struct, frozen=True):
    """What the app reads from the environment (see the module docstring)."""

    redis_url: str | None = None
    api_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    fake_event_delay: float = 0.08
    keepalive: float = 15.0
    retry_ms: int = 1000
    redis_max_connections: int = 1000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``REDIS_URL``, ``TEXTQL_API_KEY``, ``PORT``, ``HOST``, ``FAKE_EVENT_DELAY``,
        ``SSE_KEEPALIVE``, ``REDIS_MAX_CONNECTIONS``."""
        env = os.environ if env is None else env
        return cls(
            redis_url=env.get("REDIS_URL") or None,
            api_key=env.get("TEXTQL_API_KEY") or None,
            host=env.get("HOST", "127.0.0.1"),
            port=int(env.get("PORT", "8000")),
            fake_event_delay=float(env.get("FAKE_EVENT_DELAY", "0.08")),
            keepalive=float(env.get("SSE_KEEPALIVE", "15")),
            redis_max_connections=int(env.get("REDIS_MAX_CONNECTIONS", "1000")),
        )


class Question(BaseModel):
    question: str = Field(min_length=1, max_length=10_000)


def state_json(state: AnswerState) -> dict[str, Any]:
    """``GET /answers/{id}``: the answer's state, each block as its wire JSON."""
    out: dict[str, Any] = {
        "answer_id": state.answer_id,
        "chat_id": state.chat_id,
        "done": state.done,
        "blocks": [b if isinstance(b, dict) else block_to_builtins(b) for b in state.blocks],
        "answer": state.answer,
    }
    if state.error is not None:  # the answer failed: why, besides what arrived
        out["error"] = state.error
    return out


def owner(request: Request) -> str:
    """The owner: the ``X-User`` header, else the ``user`` query parameter (for EventSource)."""
    user = (request.headers.get("x-user") or request.query_params.get("user") or "").strip()
    if not user:
        raise HTTPException(401, "say who you are: an X-User header (or ?user= for EventSource)")
    return user


def ws_owner(websocket: WebSocket) -> str:
    return (websocket.headers.get("x-user") or websocket.query_params.get("user") or "").strip()


Owner = Annotated[str, Depends(owner)]
Relay = Annotated[AnswerRelay, Depends(get_relay)]


def _client_factory(settings: Settings) -> Callable[[], contextlib.AbstractAsyncContextManager[AsyncTextQL]]:
    if settings.api_key:
        return AsyncTextQL  # TEXTQL_API_KEY, TEXTQL_MEMBER_ID, TEXTQL_BASE_URL

    @contextlib.asynccontextmanager
    async def embedded_fake() -> AsyncIterator[AsyncTextQL]:
        async with FakeTextQL(event_delay=settings.fake_event_delay) as fake, fake.client() as client:
            yield client

    return embedded_fake


def _relay_factory(
    settings: Settings,
) -> Callable[[AsyncTextQL], contextlib.AbstractAsyncContextManager[AnswerRelay]]:
    url = settings.redis_url
    if not url:
        return InMemoryRelay
    max_connections = settings.redis_max_connections

    @contextlib.asynccontextmanager
    async def redis_relay(client: AsyncTextQL) -> AsyncIterator[AnswerRelay]:
        # Each reader waiting for its answer's next event holds one pooled connection in
        # XREAD BLOCK, so size the pool for the readers one replica serves (redis-py's
        # default of 100 refuses the 101st); the socket timeout outlasts XREAD's 1 s block.
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import ExponentialBackoff

        redis = Redis.from_url(
            url,
            max_connections=max_connections,
            socket_connect_timeout=2.0,
            socket_timeout=6.0,
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
            health_check_interval=15,
        )
        try:
            async with RedisRelay(client, redis) as relay:
                yield relay
        finally:
            await redis.aclose()

    return redis_relay


def make_app(settings: Settings | None = None) -> FastAPI:
    """The relay app; one client and one relay backend per app, opened by its lifespan."""
    settings = settings or Settings.from_env()
    app = FastAPI(
        title="textql-async fastapi relay",
        lifespan=textql_lifespan(_client_factory(settings), _relay_factory(settings)),
    )
    backend = "redis" if settings.redis_url else "memory"

    @app.exception_handler(AnswerNotFoundError)
    async def not_found(request: Request, exc: AnswerNotFoundError) -> JSONResponse:
        return JSONResponse({"detail": "answer not found"}, status_code=404)

    @app.exception_handler(RelayUnavailableError)
    async def unavailable(request: Request, exc: RelayUnavailableError) -> JSONResponse:
        return JSONResponse({"detail": f"relay unavailable: {exc}"}, status_code=503)

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(PAGE, headers={"Cache-Control": "no-store"})

    @app.get("/healthz")
    async def healthz(relay: Relay) -> dict[str, Any]:
        return {"ok": True, "backend": backend, "pid": os.getpid()}

    @app.post("/answers", status_code=201)
    async def start(body: Question, user: Owner, relay: Relay) -> dict[str, str]:
        try:
            answer_id = await relay.start(body.question, owner=user)
        except ValueError as exc:  # rejected before any request, e.g. a blank question
            raise HTTPException(422, str(exc)) from None
        return {"answer_id": answer_id}

    @app.get("/answers/{answer_id}")
    async def answer(answer_id: str, user: Owner, relay: Relay) -> dict[str, Any]:
        return state_json(await relay.state(answer_id, owner=user))

    @app.get("/answers/{answer_id}/events")
    async def events(answer_id: str, request: Request, user: Owner, relay: Relay) -> Response:
        await relay.state(answer_id, owner=user)  # 404 before the stream starts
        return sse_response(
            lambda after: relay.events(answer_id, owner=user, after=after),
            request,
            keepalive=settings.keepalive,
            retry=settings.retry_ms,
        )

    @app.websocket("/answers/{answer_id}/ws")
    async def events_ws(websocket: WebSocket, answer_id: str) -> None:
        relay = get_relay(websocket)
        user = ws_owner(websocket)
        try:
            known = bool(user) and bool(await relay.state(answer_id, owner=user))
        except AnswerNotFoundError:
            known = False
        if not known:  # an HTTP 404 instead of the handshake, where the server can send one
            if "websocket.http.response" in websocket.scope.get("extensions", {}):
                await websocket.send_denial_response(
                    JSONResponse({"detail": "answer not found"}, status_code=404)
                )
            else:
                await websocket.close(code=4404, reason="answer not found")
            return
        await relay_websocket(
            websocket, lambda after: relay.events(answer_id, owner=user, after=after)
        )

    return app


def main() -> None:
    """Serve the app with uvicorn on ``HOST:PORT``."""
    import uvicorn

    settings = Settings.from_env()
    where = f"redis at {settings.redis_url}" if settings.redis_url else "the in-process relay"
    upstream = "TextQL" if settings.api_key else "an embedded FakeTextQL"
    print(
        f"fastapi relay: open http://{settings.host}:{settings.port}/ ({where}, asking {upstream})",
        flush=True,
    )
    uvicorn.run(
        make_app(settings),
        host=settings.host,
        port=settings.port,
        ws="wsproto",
        log_level=os.environ.get("LOG_LEVEL", "warning"),
        timeout_graceful_shutdown=2,
    )


if __name__ == "__main__":
    main()
