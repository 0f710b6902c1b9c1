"""No secret in any traceback rendered with its locals (what Sentry and friends capture).

Every error class the SDK raises is rendered with
``traceback.TracebackException(..., capture_locals=True)`` (the whole ``__cause__`` /
``__context__`` chain, aiohttp's frames included) and searched for every spelling of
every credential: the raw API key, ``member:key``, its Basic encoding (standard and
URL-safe base64), URL-encoded forms, the partner key and a connector password.
"""

from __future__ import annotations

import asyncio
import base64
import socket
import threading
import traceback
from collections.abc import Awaitable, Callable, Iterator
from urllib.parse import quote, quote_plus

import pytest

from textql_async import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AsyncTextQL,
    AuthenticationError,
    BadRequestError,
    ChatFailedError,
    ConfigurationError,
    ConnectorConfig,
    EventTooLargeError,
    PermissionDeniedError,
    PostgresMetadata,
    RetryPolicy,
    ServerError,
    StreamError,
)
from textql_async.sync import TextQL
from textql_async.testing import Delay, Disconnect, DropAfter, FakeTextQL, HTTPError

KEY = "sk+live/secret=key_0123456789abcdef"
MEMBER = "member-traceback"
PARTNER_KEY = "pk+partner/secret=9876543210"
PASSWORD = "pw+connector/secret=5544332211"


def _forms(secret: str) -> list[str]:
    """Every spelling of ``secret`` that might end up in a repr."""
    return [secret, quote(secret, safe=""), quote_plus(secret)]


def secret_forms(key: str = KEY, member: str = MEMBER) -> dict[str, str]:
    pair = f"{member}:{key}".encode()
    forms = {
        "basic token": base64.b64encode(pair).decode(),
        "urlsafe basic token": base64.urlsafe_b64encode(pair).decode(),
        "member:key": pair.decode(),
        "key base64": base64.b64encode(key.encode()).decode(),
    }
    for name, secret in (("key", key), ("partner key", PARTNER_KEY), ("password", PASSWORD)):
        for i, form in enumerate(_forms(secret)):
            forms[f"{name} #{i}"] = form
    return forms


def render(exc: BaseException) -> str:
    """The traceback as an error tracker renders it: every frame with its locals."""
    return "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())


def assert_no_secret(exc: BaseException, key: str = KEY) -> str:
    text = render(exc)
    leaked = {name: form for name, form in secret_forms(key).items() if form in text}
    lines = [line for line in text.splitlines() if any(f in line for f in leaked.values())]
    assert not leaked, f"{type(exc).__name__} traceback shows {sorted(leaked)}:\n" + "\n".join(lines)
    assert "= " in text, "the traceback was rendered with its locals"
    return text


async def _raises(kind: type[BaseException], call: Callable[[], Awaitable[object]]) -> BaseException:
    with pytest.raises(kind) as info:
        await call()
    return info.value


def _pg() -> ConnectorConfig:
    metadata = PostgresMetadata(host="db", user="u", database="d", password=PASSWORD, port=5432)
    return ConnectorConfig(connector_type="POSTGRES", name="warehouse", postgres=metadata)


@pytest.fixture
async def fake() -> FakeTextQL:
    async with FakeTextQL(KEY, MEMBER) as server:
        server.partner_api_key = PARTNER_KEY
        yield server


async def test_authentication_error_from_ask_with_a_member_id(fake: FakeTextQL) -> None:
    wrong = KEY + "-wrong"
    async with fake.client(api_key=wrong, max_retries=0) as client:
        assert client.member_id == MEMBER  # Basic auth: the token is what used to leak
        exc = await _raises(AuthenticationError, lambda: client.ana.ask("q"))
    text = assert_no_secret(exc, key=wrong)
    assert "all_headers" in text and "'***'" in text  # the local is there, redacted


async def test_authentication_error_of_the_right_key_refused(fake: FakeTextQL) -> None:
    fake.inject(HTTPError(401), times=None)
    async with fake.client(max_retries=0) as client:
        assert_no_secret(await _raises(AuthenticationError, lambda: client.ana.ask("q")))
        assert_no_secret(await _raises(AuthenticationError, lambda: client.ana.chat_summaries()))
        assert_no_secret(await _raises(AuthenticationError, lambda: client.chats.list()))


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422, 429, 500, 503])
async def test_other_http_errors(fake: FakeTextQL, status: int) -> None:
    fake.inject(HTTPError(status), times=None)
    async with fake.client(max_retries=0) as client:
        assert_no_secret(await _raises(APIError, lambda: client.ana.ask("q")))
        assert_no_secret(await _raises(APIError, lambda: client.ana.chat_summaries()))
        assert_no_secret(await _raises(APIError, lambda: client.chats.create("q")))


async def test_server_error_after_retries(fake: FakeTextQL) -> None:
    fake.inject(HTTPError(503), times=None)
    async with fake.client(retry_policy=RetryPolicy(max_retries=2, base=0.01, cap=0.02)) as client:
        assert_no_secret(await _raises(ServerError, lambda: client.ana.chat_summaries()))


async def test_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with AsyncTextQL(KEY, MEMBER, f"http://127.0.0.1:{port}", max_retries=0) as client:
        assert_no_secret(await _raises(APIConnectionError, lambda: client.ana.ask("q")))
        assert_no_secret(await _raises(APIConnectionError, lambda: client.chats.list()))


async def test_server_hanging_up(fake: FakeTextQL) -> None:
    fake.inject(Disconnect(), times=None)
    async with fake.client(max_retries=0) as client:
        assert_no_secret(await _raises(APIConnectionError, lambda: client.ana.ask("q")))
        assert_no_secret(await _raises(APIConnectionError, lambda: client.ana.chat_summaries()))


async def test_stream_errors(fake: FakeTextQL) -> None:
    async with fake.client(max_retries=0) as client:
        fake.inject(DropAfter(events=3))
        exc = await _raises(StreamError, lambda: client.ana.ask("q", recover=False))
        assert_no_secret(exc)

        async def read_stream() -> None:
            async with client.ana.stream("q") as stream:
                async for _ in stream:
                    pass

        fake.inject(DropAfter(events=2))
        assert_no_secret(await _raises(StreamError, read_stream))


async def test_an_event_too_large(fake: FakeTextQL) -> None:
    big = ("block", {"tag": "TextBlock", "contents": "x" * 4000, "id": "big"})
    fake.add_answer("big", [("chatId", "c"), big, ("message", "done")])
    async with fake.client() as client:

        async def read() -> None:
            async with client.ana.stream("big", max_event_size=1024) as stream:
                await stream.final()

        assert_no_secret(await _raises(EventTooLargeError, read))


async def test_a_failed_v2_chat(fake: FakeTextQL) -> None:
    fake.v2.add_answer("q", error="the warehouse timed out")
    async with fake.client() as client:

        async def read() -> None:
            async with client.chats.stream("q") as stream:
                await stream.final()

        assert_no_secret(await _raises(ChatFailedError, read))


async def test_timeouts(fake: FakeTextQL) -> None:
    fake.inject(Delay(2), times=None)
    async with fake.client(max_retries=0) as client:
        assert_no_secret(await _raises(APITimeoutError, lambda: client.ana.ask("q", timeout=0.2)))
        call = lambda: client.ana.chat_summaries(timeout=0.2)  # noqa: E731
        assert_no_secret(await _raises(APITimeoutError, call))


async def test_partner_errors(fake: FakeTextQL) -> None:
    async with fake.client(partner_api_key=PARTNER_KEY + "-wrong") as client:
        exc = await _raises(PermissionDeniedError, lambda: client.partner.spaces.list())
    text = render(exc)
    assert (PARTNER_KEY + "-wrong") not in text
    assert_no_secret(exc)
    fake.inject(HTTPError(500), times=None)
    async with fake.client(max_retries=0) as client:
        assert_no_secret(await _raises(ServerError, lambda: client.partner.spaces.list()))


async def test_partner_connector_create_with_a_password(fake: FakeTextQL) -> None:
    fake.inject(HTTPError(400), times=None)
    async with fake.client() as client:
        call = client.partner.database_connectors.create
        exc = await _raises(BadRequestError, lambda: call("postgres", "h", 5432, "d", "u", PASSWORD))
        assert_no_secret(exc)
        # a bad argument after the password: still no password in the locals
        exc = await _raises(ValueError, lambda: call("postgres", "h", 0, "d", "u", PASSWORD))
        assert_no_secret(exc)


async def test_connector_create_test_update_with_a_password(fake: FakeTextQL) -> None:
    fake.inject(HTTPError(400), times=None)
    async with fake.client() as client:
        exc = await _raises(BadRequestError, lambda: client.connectors.create(_pg()))
        assert_no_secret(exc)
        assert "config" in render(exc)
        assert_no_secret(await _raises(BadRequestError, lambda: client.connectors.test(_pg())))
        assert_no_secret(await _raises(BadRequestError, lambda: client.connectors.update(1, _pg())))
    fake.clear_faults()
    fake.inject(Disconnect(), times=None)
    async with fake.client(max_retries=0) as client:
        exc = await _raises(APIConnectionError, lambda: client.connectors.create(_pg()))
        assert_no_secret(exc)  # aiohttp's frames hold the body: it is RedactedBytes


def test_configuration_error_with_a_key() -> None:
    with pytest.raises(ConfigurationError) as info:
        AsyncTextQL(KEY, MEMBER, "ftp://nowhere", partner_api_key=PARTNER_KEY)
    assert_no_secret(info.value)
    with pytest.raises(ConfigurationError) as info:
        AsyncTextQL(KEY, partner_base_url="nowhere")
    assert_no_secret(info.value)


async def test_the_wire_still_carries_the_real_credentials(fake: FakeTextQL) -> None:
    # redaction is for reprs only: the server must get exactly the key, the token, the password
    async with fake.client() as client:
        assert (await client.ana.ask("q")).answer
        await client.chats.list()
        await client.partner.spaces.list()
        await client.partner.database_connectors.create("postgres", "h", 5432, "d", "u", PASSWORD)
    sent = [r.headers.get("Authorization", "") for r in fake.requests]
    token = base64.b64encode(f"{MEMBER}:{KEY}".encode()).decode()
    assert f"Basic {token}" in sent and f"Bearer {KEY}" in sent
    assert any(r.headers.get("X-API-Key") == PARTNER_KEY for r in fake.requests)



# -- the sync facade: its frames (generated methods, the runner) hold no secret either ----


@pytest.fixture
def threaded_fake() -> Iterator[FakeTextQL]:
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: list[FakeTextQL] = []
    stop = asyncio.Event()

    async def serve() -> None:
        async with FakeTextQL(KEY, MEMBER) as server:
            server.partner_api_key = PARTNER_KEY
            holder.append(server)
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),))
    thread.start()
    assert ready.wait(10)
    try:
        yield holder[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


def test_sync_facade_errors(threaded_fake: FakeTextQL) -> None:
    fake = threaded_fake
    url, partner_url = fake.url, fake.partner_url
    with TextQL(KEY + "-wrong", MEMBER, url, max_retries=0) as client:
        with pytest.raises(AuthenticationError) as info:
            client.ana.ask("q")
        assert_no_secret(info.value, key=KEY + "-wrong")
    with TextQL(KEY, MEMBER, url, partner_base_url=partner_url, partner_api_key=PARTNER_KEY) as client:
        with pytest.raises(ValueError) as bad:
            client.partner.database_connectors.create("postgres", "h", 0, "d", "u", PASSWORD)
        assert_no_secret(bad.value)
        with pytest.raises(StreamError) as cut:
            fake.inject(DropAfter(events=2))
            client.ana.ask("q", recover=False)
        assert_no_secret(cut.value)
    with pytest.raises(ConfigurationError) as config:
        TextQL(KEY, MEMBER, "ftp://nowhere", partner_api_key=PARTNER_KEY)
    assert_no_secret(config.value)
