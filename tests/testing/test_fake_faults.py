"""Fault injection: HTTP errors, dropped connections, stalls, truncation and delays."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from textql_async.testing import (
    Delay,
    DropAfter,
    FakeTextQL,
    HTTPError,
    Stall,
    Truncate,
    ana_event,
    parse_raw_events,
    render_script,
)

SCRIPT: list[tuple[str, object] | bytes] = [
    ("chatId", "c1"),
    ("userMsgId", 1),
    ("assistantMsgId", 2),
    ("block", {"tag": "TextBlock", "contents": "Hello", "id": "b1"}),
    ("message", "done"),
]
FULL = render_script(SCRIPT)


async def _read_until_error(
    fake: FakeTextQL, question: str = "q"
) -> tuple[int, bytes, BaseException | None]:
    """Read the whole /api/ana body, returning what arrived and the error (if any)."""
    received = bytearray()
    async with aiohttp.ClientSession(headers=fake.auth_headers()) as session:
        async with session.get(fake.url + "/api/ana", params={"query": question}) as resp:
            try:
                async for data, _ in resp.content.iter_chunks():
                    received += data
            except aiohttp.ClientPayloadError as exc:
                return resp.status, bytes(received), exc
            return resp.status, bytes(received), None


@pytest.fixture
def fake(fake_textql: FakeTextQL) -> FakeTextQL:
    fake_textql.add_answer("q", SCRIPT)
    return fake_textql


async def test_http_error_429_with_retry_after(fake: FakeTextQL) -> None:
    fake.inject(HTTPError(429, headers={"Retry-After": "2"}))
    async with aiohttp.ClientSession(headers=fake.auth_headers()) as session:
        async with session.get(fake.url + "/api/ana", params={"query": "q"}) as resp:
            assert resp.status == 429
            assert resp.headers["Retry-After"] == "2"
            assert resp.content_type == "application/json"
            body = await resp.json()
        assert body["error"]["code"] == "too_many_requests"
        async with session.get(fake.url + "/api/ana", params={"query": "q"}) as resp:
            assert resp.status == 200  # times=1: only the first request failed
            assert await resp.read() == FULL


async def test_http_error_html_page_with_200(fake: FakeTextQL) -> None:
    page = b"<html><body>Please log in</body></html>"
    fake.inject(HTTPError(200, page, content_type="text/html"))
    async with aiohttp.ClientSession() as session:  # applies before the auth check
        async with session.get(fake.url + "/api/ana", params={"query": "q"}) as resp:
            assert resp.status == 200
            assert resp.content_type == "text/html"
            assert await resp.read() == page
    assert fake.chats == []


async def test_http_error_on_other_route_with_path_and_times(fake: FakeTextQL) -> None:
    fake.inject(
        HTTPError(502, b"<h1>Bad Gateway</h1>", "text/html"), times=2, path="/api/ana/chat/summary"
    )
    headers = fake.auth_headers()
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.get(fake.url + "/api/ana", params={"query": "q"}) as resp:
            assert resp.status == 200  # other paths are unaffected
            await resp.read()
        statuses = []
        for _ in range(3):
            async with session.get(fake.url + "/api/ana/chat/summary") as resp:
                statuses.append(resp.status)
                await resp.read()
    assert statuses == [502, 502, 200]


async def test_http_error_until_cleared(fake: FakeTextQL) -> None:
    fake.inject(HTTPError(503), times=None)
    async with aiohttp.ClientSession(headers=fake.auth_headers()) as session:
        for _ in range(3):
            async with session.get(fake.url + "/api/ana/chat/summary") as resp:
                assert resp.status == 503
                assert json.loads(await resp.read())["error"]["code"] == "service_unavailable"
        fake.clear_faults()
        async with session.get(fake.url + "/api/ana/chat/summary") as resp:
            assert resp.status == 200
    with pytest.raises(ValueError):
        fake.inject(HTTPError(500), times=0)


async def test_drop_after_events(fake: FakeTextQL) -> None:
    fake.inject(DropAfter(events=2))
    status, received, error = await _read_until_error(fake)
    assert status == 200
    assert received == render_script(SCRIPT[:2])
    assert isinstance(error, aiohttp.ClientPayloadError)
    # like the real service, Ana finished server-side: the history holds the whole answer
    assert fake.chats[0].chat_id == "c1"
    assert fake.chats[0].blocks == {"b1": {"tag": "TextBlock", "contents": "Hello", "id": "b1"}}


async def test_drop_after_bytes(fake: FakeTextQL) -> None:
    fake.inject(DropAfter(bytes=30))
    _, received, error = await _read_until_error(fake)
    assert received == FULL[:30]
    assert error is not None


async def test_drop_immediately_after_headers(fake: FakeTextQL) -> None:
    fake.inject(DropAfter())
    status, received, error = await _read_until_error(fake)
    assert (status, received) == (200, b"")
    assert error is not None
    status, received, error = await _read_until_error(fake)
    assert (received, error) == (FULL, None)  # the fault applied once


async def test_truncate_ends_cleanly_without_done(fake: FakeTextQL) -> None:
    fake.inject(Truncate(after_events=4))
    _, received, error = await _read_until_error(fake)
    assert error is None
    assert received == render_script(SCRIPT[:4])
    assert not received.endswith(ana_event("message", "done"))


async def test_stall_then_client_gives_up(fake: FakeTextQL) -> None:
    fake.inject(Stall(after_events=1))
    async with aiohttp.ClientSession(headers=fake.auth_headers()) as session:
        async with session.get(fake.url + "/api/ana", params={"query": "q"}) as resp:
            first = await resp.content.readuntil(b"\n\n")
            assert first == ana_event("chatId", "c1")
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(resp.content.read(1), 0.15)
            assert fake.active_streams == 1
    await fake.wait_for_streams_closed(timeout=2)
    assert fake.active_streams == 0


async def test_stall_sends_keepalive_comments(fake: FakeTextQL) -> None:
    fake.inject(Stall(after_events=0, keepalive_interval=0.02))
    async with aiohttp.ClientSession(headers=fake.auth_headers()) as session:
        async with session.get(fake.url + "/api/ana", params={"query": "q"}) as resp:
            first = await asyncio.wait_for(resp.content.readuntil(b"\n\n"), 2)
            second = await asyncio.wait_for(resp.content.readuntil(b"\n\n"), 2)
    assert first == second == b": keep-alive\n\n"
    await fake.wait_for_disconnects(timeout=2)


async def test_server_close_ends_stalled_stream_quickly() -> None:
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as session:
        async with FakeTextQL() as fake:
            fake.inject(Stall(after_events=2))
            resp = await session.get(
                fake.url + "/api/ana", params={"query": "q"}, headers=fake.auth_headers()
            )
            await resp.content.readuntil(b"\n\n")
            started = loop.time()
        assert loop.time() - started < 1.0
        with pytest.raises(aiohttp.ClientPayloadError):  # the stream was cut, not finished
            await resp.content.read()
        resp.close()


async def test_delay_causes_client_timeout(fake: FakeTextQL) -> None:
    fake.inject(Delay(0.5))
    timeout = aiohttp.ClientTimeout(total=0.1)
    async with aiohttp.ClientSession(headers=fake.auth_headers(), timeout=timeout) as session:
        with pytest.raises(asyncio.TimeoutError):
            async with session.get(fake.url + "/api/ana", params={"query": "q"}) as resp:
                await resp.read()
        async with session.get(fake.url + "/api/ana", params={"query": "q"}) as resp:
            assert await resp.read() == FULL


async def test_server_close_cancels_delayed_request() -> None:
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as session:
        async with FakeTextQL() as fake:
            fake.inject(Delay(30))
            request = asyncio.create_task(session.get(fake.url + "/api/ana/chat/summary"))
            await fake.wait_for_requests(1)
            started = loop.time()
        assert loop.time() - started < 1.0
        with pytest.raises(aiohttp.ClientConnectionError):  # disconnected (or retry refused)
            await request


async def test_stream_faults_skip_non_stream_routes(fake: FakeTextQL) -> None:
    fake.inject(Truncate(after_events=1))
    async with aiohttp.ClientSession(headers=fake.auth_headers()) as session:
        async with session.get(fake.url + "/api/ana/chat/summary") as resp:
            assert resp.status == 200
    _, received, _ = await _read_until_error(fake)
    assert parse_raw_events(received) == [("chatId", "c1")]
