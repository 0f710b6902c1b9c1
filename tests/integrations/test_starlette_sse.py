"""``sse_response`` and ``relay_websocket`` under a real uvicorn, on scripted relay events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import anyio
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from textql_async.integrations.starlette import (
    SSEResponse,
    encode_sse,
    last_event_id,
    relay_websocket,
    sse_response,
)
from textql_async.relay import AnswerNotFoundError, RelayEvent

EVENTS = [
    RelayEvent(1, "snapshot", {"chat_id": None, "done": False, "blocks": []}),
    RelayEvent(2, "update", {"blocks": [{"index": 0, "block": {"tag": "TextBlock", "id": "a", "contents": "Hi\nthere"}}]}),
    RelayEvent(3, "update", {"blocks": [{"index": 0, "block": {"tag": "TextBlock", "id": "a", "contents": "Hi there é"}}]}),
    RelayEvent(4, "done", {"chat_id": "c1", "answer": "Hi there é"}),
]


class Feed:
    """A scripted relay feed: records each ``after`` it was opened with and when it closed."""

    def __init__(self, events: list[RelayEvent], *, hold: bool = False, fail: Exception | None = None) -> None:
        self.events = events
        self.hold = hold  # block forever after the events (an answer still being written)
        self.fail = fail
        self.opened: list[int | None] = []
        self.closed = anyio.Event()

    def __call__(self, after: int | None) -> AsyncIterator[RelayEvent]:
        self.opened.append(after)
        return self._iterate(after)

    async def _iterate(self, after: int | None) -> AsyncIterator[RelayEvent]:
        try:
            for event in self.events:
                if after is None or event.seq > after:
                    yield event
            if self.fail is not None:
                raise self.fail
            if self.hold:
                await anyio.sleep_forever()
        finally:
            self.closed.set()


def sse_app(feed: Feed, **options: Any) -> Starlette:
    async def events(request: Request) -> Response:
        return sse_response(feed, request, **options)

    return Starlette(routes=[Route("/events", events)])


def parse_frames(body: str) -> list[dict[str, str]]:
    frames = []
    for chunk in body.split("\n\n"):
        if not chunk:
            continue
        frame: dict[str, str] = {}
        for line in chunk.split("\n"):
            field, _, value = line.partition(":")
            frame[field] = value[1:] if value.startswith(" ") else value
        frames.append(frame)
    return frames


def test_encode_sse_is_one_frame_per_event() -> None:
    frame = encode_sse(EVENTS[1])
    assert frame.endswith(b"\n\n") and frame.count(b"\n") == 4  # JSON escapes the line break
    assert frame.startswith(b"id: 2\nevent: update\ndata: {")
    assert json.loads(frame.split(b"data: ", 1)[1]) == EVENTS[1].data


async def test_sse_frames_headers_and_end(uvicorn_serve: Any) -> None:
    feed = Feed(EVENTS)
    async with uvicorn_serve(sse_app(feed)) as url, aiohttp.ClientSession() as http:
        async with http.get(url + "/events") as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"].startswith("text/event-stream")
            assert resp.headers["Cache-Control"] == "no-cache"
            assert resp.headers["X-Accel-Buffering"] == "no"
            assert "Content-Length" not in resp.headers
            body = await resp.text()
    frames = parse_frames(body)
    assert [f["id"] for f in frames] == ["1", "2", "3", "4"]
    assert [f["event"] for f in frames] == ["snapshot", "update", "update", "done"]
    assert [json.loads(f["data"]) for f in frames] == [e.data for e in EVENTS]
    assert feed.opened == [None]


async def test_last_event_id_resumes_and_retry_is_sent(uvicorn_serve: Any) -> None:
    feed = Feed(EVENTS)
    async with uvicorn_serve(sse_app(feed, retry=250)) as url, aiohttp.ClientSession() as http:
        async with http.get(url + "/events", headers={"Last-Event-ID": "2"}) as resp:
            body = await resp.text()
    frames = parse_frames(body)
    assert frames[0] == {"retry": "250"}
    assert [f["id"] for f in frames[1:]] == ["3", "4"]
    assert feed.opened == [2]


@pytest.mark.parametrize("bad", ["-1", "abc", "1.5", "9 9"])
async def test_malformed_last_event_id_is_400(uvicorn_serve: Any, bad: str) -> None:
    feed = Feed(EVENTS)
    async with uvicorn_serve(sse_app(feed)) as url, aiohttp.ClientSession() as http:
        async with http.get(url + "/events", headers={"Last-Event-ID": bad}) as resp:
            assert resp.status == 400
            assert "Last-Event-ID" in await resp.text()
    assert feed.opened == []  # the relay was never read


async def test_keepalive_comments_while_upstream_is_silent(uvicorn_serve: Any) -> None:
    feed = Feed(EVENTS[:1], hold=True)
    async with uvicorn_serve(sse_app(feed, keepalive=0.05)) as url, aiohttp.ClientSession() as http:
        async with http.get(url + "/events") as resp:
            lines = []
            with anyio.fail_after(10):
                while lines.count(b": keep-alive\n") < 3:
                    lines.append(await resp.content.readline())
    assert lines[:3] == [b"id: 1\n", b"event: snapshot\n", lines[2]]
    assert lines[2].startswith(b"data: ")


async def test_client_disconnect_closes_the_upstream_at_once(uvicorn_serve: Any) -> None:
    # keep-alives far apart: nothing is written after the first event, so only watching
    # http.disconnect can notice the client left
    feed = Feed(EVENTS[:2], hold=True)
    async with uvicorn_serve(sse_app(feed, keepalive=600)) as url:
        async with aiohttp.ClientSession() as http, http.get(url + "/events") as resp:
            assert await resp.content.readline() == b"id: 1\n"
            await asyncio.sleep(0.2)
            assert not feed.closed.is_set()  # still reading while the client is there
        with anyio.fail_after(5):
            await feed.closed.wait()


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (AnswerNotFoundError("gone"), {"type": "AnswerNotFoundError", "message": "no answer 'gone' for this owner"}),
        (RuntimeError("secret internals"), {"type": "InternalError", "message": "internal error"}),
    ],
)
async def test_upstream_failure_ends_with_an_error_frame(
    uvicorn_serve: Any, error: Exception, message: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    feed = Feed(EVENTS[:2], fail=error)
    async with uvicorn_serve(sse_app(feed)) as url, aiohttp.ClientSession() as http:
        async with http.get(url + "/events") as resp:
            body = await resp.text()
    frames = parse_frames(body)
    assert [f.get("id") for f in frames] == ["1", "2", None]
    assert frames[-1]["event"] == "error"
    assert json.loads(frames[-1]["data"]) == message
    assert "secret internals" not in body
    assert ("relay feed failed" in caplog.text) == isinstance(error, RuntimeError)


async def test_bad_arguments_are_typed_errors() -> None:  # anyio 4.0: Event() needs a loop
    with pytest.raises(TypeError, match="request"):
        sse_response(lambda after: Feed(EVENTS)(after))
    with pytest.raises(ValueError, match="keepalive"):
        SSEResponse(Feed(EVENTS)(None), keepalive=0)
    with pytest.raises(ValueError, match="retry"):
        SSEResponse(Feed(EVENTS)(None), retry=-1)


def test_last_event_id_parsing() -> None:
    class Conn:
        def __init__(self, value: str | None) -> None:
            self.headers = {} if value is None else {"last-event-id": value}

    assert last_event_id(Conn(None)) is None  # type: ignore[arg-type]
    assert last_event_id(Conn("  ")) is None  # type: ignore[arg-type]
    assert last_event_id(Conn("17")) == 17  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        last_event_id(Conn("x"))  # type: ignore[arg-type]


# -- websockets ------------------------------------------------------------------------------


def ws_app(feed: Callable[[int | None], AsyncIterator[RelayEvent]]) -> Starlette:
    async def endpoint(websocket: WebSocket) -> None:
        await relay_websocket(websocket, feed)

    return Starlette(routes=[WebSocketRoute("/ws", endpoint)])


async def receive_all(ws: aiohttp.ClientWebSocketResponse) -> list[Any]:
    messages = []
    with anyio.fail_after(10):
        async for message in ws:
            messages.append(json.loads(message.data))
    return messages


async def test_websocket_sends_events_as_json_and_closes_after_done(uvicorn_serve: Any) -> None:
    feed = Feed(EVENTS)
    async with uvicorn_serve(ws_app(feed)) as url, aiohttp.ClientSession() as http:
        async with http.ws_connect(url + "/ws") as ws:
            await ws.send_str(json.dumps({"after": None}))
            messages = await receive_all(ws)
            assert ws.close_code == 1000
    assert messages == [{"id": e.seq, "event": e.kind, "data": e.data} for e in EVENTS]


async def test_websocket_resumes_from_after_and_restarts(uvicorn_serve: Any) -> None:
    feed = Feed(EVENTS[:3], hold=True)
    async with uvicorn_serve(ws_app(feed)) as url, aiohttp.ClientSession() as http:
        async with http.ws_connect(url + "/ws") as ws:
            await ws.send_str(json.dumps({"after": 1}))
            first = [json.loads((await ws.receive(timeout=10)).data) for _ in range(2)]
            await ws.send_str(json.dumps({"after": 2}))  # restart the feed from seq 2
            again = json.loads((await ws.receive(timeout=10)).data)
            await ws.send_str("not json")
            invalid = json.loads((await ws.receive(timeout=10)).data)
    assert [m["id"] for m in first] == [2, 3]
    assert again["id"] == 3
    assert invalid["event"] == "invalid" and "after" in invalid["data"]["message"]
    assert feed.opened == [1, 2]
    with anyio.fail_after(5):
        await feed.closed.wait()


async def test_websocket_client_leaving_cancels_the_feed(uvicorn_serve: Any) -> None:
    feed = Feed(EVENTS[:1], hold=True)
    async with uvicorn_serve(ws_app(feed)) as url, aiohttp.ClientSession() as http:
        async with http.ws_connect(url + "/ws") as ws:
            await ws.send_str(json.dumps({"after": None}))
            assert json.loads((await ws.receive(timeout=10)).data)["id"] == 1
        with anyio.fail_after(5):
            await feed.closed.wait()
