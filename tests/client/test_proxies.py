"""Proxies: ``HTTP(S)_PROXY`` / ``NO_PROXY`` as aiohttp's ``trust_env`` reads them, and ``proxy=``.

The proxy is a tiny forward HTTP proxy on loopback (aiohttp.web, absolute-form
requests, no CONNECT): it records what passed and relays it, streams included.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from traceback import TracebackException

import aiohttp
import pytest
from aiohttp import web

from textql_async import APIConnectionError, AsyncTextQL, ConfigurationError
from textql_async.testing import FakeTextQL

_HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-connection", "proxy-authorization", "te",
    "trailer", "transfer-encoding", "upgrade", "content-length", "host",
}  # fmt: skip


class LoopbackProxy:
    """A forward proxy: ``GET http://host/path HTTP/1.1`` in, the upstream response out."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.proxy_authorization: list[str | None] = []
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> LoopbackProxy:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._relay)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        self._session = aiohttp.ClientSession(trust_env=False, auto_decompress=False)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._session is not None and self._runner is not None
        await self._session.close()
        await self._runner.cleanup()

    async def _relay(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        self.seen.append(f"{request.method} {request.url.path}")
        self.proxy_authorization.append(request.headers.get("Proxy-Authorization"))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        body = await request.read()
        async with self._session.request(
            request.method, request.url, headers=headers, data=body or None
        ) as upstream:
            response = web.StreamResponse(status=upstream.status)
            for name, value in upstream.headers.items():
                if name.lower() not in _HOP_BY_HOP:
                    response.headers[name] = value
            await response.prepare(request)
            async for chunk in upstream.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
            return response


@pytest.fixture
async def fake() -> AsyncIterator[FakeTextQL]:
    async with FakeTextQL() as server:
        yield server


@pytest.fixture
async def proxy() -> AsyncIterator[LoopbackProxy]:
    async with LoopbackProxy() as p:
        yield p


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY",
                 "all_proxy", "NO_PROXY", "no_proxy"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


async def _use(client: AsyncTextQL) -> None:
    result = await client.ana.ask("Which store is the largest?")  # a streamed answer
    assert result.answer
    await client.chats.list()
    await client.ana.chat_summaries()


async def test_the_proxy_option(
    fake: FakeTextQL, proxy: LoopbackProxy, no_proxy_env: pytest.MonkeyPatch
) -> None:
    async with fake.client(proxy=proxy.url) as client:
        await _use(client)
    assert proxy.seen == ["GET /api/ana", "GET /v2/chats", "GET /api/ana/chat/summary"]
    assert len(fake.requests) == 3


async def test_http_proxy_from_the_environment(
    fake: FakeTextQL, proxy: LoopbackProxy, no_proxy_env: pytest.MonkeyPatch
) -> None:
    no_proxy_env.setenv("HTTP_PROXY", proxy.url)
    async with fake.client() as client:
        await _use(client)
    assert len(proxy.seen) == 3 and proxy.seen[0] == "GET /api/ana"


async def test_no_proxy_bypasses_it(
    fake: FakeTextQL, proxy: LoopbackProxy, no_proxy_env: pytest.MonkeyPatch
) -> None:
    no_proxy_env.setenv("HTTP_PROXY", proxy.url)
    no_proxy_env.setenv("NO_PROXY", "127.0.0.1")
    async with fake.client() as client:
        await _use(client)
    assert proxy.seen == [] and len(fake.requests) == 3


async def test_trust_env_false_ignores_the_environment(
    fake: FakeTextQL, proxy: LoopbackProxy, no_proxy_env: pytest.MonkeyPatch
) -> None:
    no_proxy_env.setenv("HTTP_PROXY", proxy.url)
    async with fake.client(trust_env=False) as client:
        await _use(client)
    assert proxy.seen == []


async def test_the_option_wins_over_the_environment(
    fake: FakeTextQL, proxy: LoopbackProxy, no_proxy_env: pytest.MonkeyPatch
) -> None:
    no_proxy_env.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    async with fake.client(proxy=proxy.url) as client:
        await _use(client)
    assert len(proxy.seen) == 3


@pytest.mark.parametrize("bad", ["socks5://127.0.0.1:1080", "127.0.0.1:3128", ""])
def test_a_bad_proxy_is_a_configuration_error(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="proxy must be an http"):
        AsyncTextQL("k", proxy=bad)


def test_the_proxy_password_is_not_in_the_error() -> None:
    with pytest.raises(ConfigurationError) as info:
        AsyncTextQL("k", proxy="socks5://user:hunter2-secret@proxy:1080")
    assert "hunter2-secret" not in str(info.value)


async def test_proxy_credentials_are_sent_and_never_shown(
    fake: FakeTextQL, proxy: LoopbackProxy, no_proxy_env: pytest.MonkeyPatch
) -> None:
    password = "hunter2-proxy-secret"
    with_user = proxy.url.replace("http://", f"http://analyst:{password}@")
    async with fake.client(proxy=with_user) as client:
        await _use(client)
    token = base64.b64encode(f"analyst:{password}".encode()).decode()
    assert proxy.proxy_authorization == [f"Basic {token}"] * 3
    # through a proxy that is down: the traceback (with locals) shows neither form
    async with AsyncTextQL("k", base_url=fake.url, proxy=f"http://analyst:{password}@127.0.0.1:9",
                           max_retries=0) as client:  # fmt: skip
        with pytest.raises(APIConnectionError) as info:
            await client.chats.list()
    rendered = _library_frames(info.value)
    assert "all_headers" in rendered and "'Proxy-Authorization': '***'" in rendered
    assert password not in rendered and token not in rendered


def _library_frames(exc: BaseException) -> str:
    """The locals of the SDK's and aiohttp's frames (this test's own frames hold the password)."""
    shown: list[str] = []
    seen: TracebackException | None = TracebackException.from_exception(exc, capture_locals=True)
    while seen is not None:
        for frame in seen.stack:
            if "textql_async" in frame.filename or "aiohttp" in frame.filename:
                shown += [f"{name} = {value}" for name, value in (frame.locals or {}).items()]
        seen = seen.__cause__ or seen.__context__
    assert shown, "no frame of the library was rendered"
    return "\n".join(shown)


async def test_environment_proxy_credentials(
    fake: FakeTextQL, proxy: LoopbackProxy, no_proxy_env: pytest.MonkeyPatch
) -> None:
    no_proxy_env.setenv("HTTP_PROXY", proxy.url.replace("http://", "http://env:pw-from-env@"))
    async with fake.client() as client:
        await _use(client)
    token = base64.b64encode(b"env:pw-from-env").decode()
    assert proxy.proxy_authorization == [f"Basic {token}"] * 3
