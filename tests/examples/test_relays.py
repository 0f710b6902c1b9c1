"""The relay examples without a browser: "websocket_relay/app.py" and "sse_relay.py".

Each runs in-process (``make_app`` against a FakeTextQL, driven by an aiohttp client) and
once as a user runs it: a subprocess on its embedded fake, on a free port.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import pathlib
import signal
import sys
from collections.abc import AsyncIterator
from types import ModuleType
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from textql_async import SSEDecoder
from textql_async.testing import DropAfter, FakeTextQL

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
QUESTION = "Which store is the largest?"


def load(relative: str) -> ModuleType:
    name = "example_" + relative.replace("/", "_").removesuffix(".py")
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, EXAMPLES / relative)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def final_json(fake: FakeTextQL, n: int = 0) -> list[dict[str, Any]]:
    """The n-th newest chat's complete answer, as wire JSON blocks."""
    return list(fake.chats[n].blocks.values())


def asked(fake: FakeTextQL) -> list[str]:
    return [r.query["query"] for r in fake.requests if r.path == "/api/ana"]


def same_blocks(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> bool:
    """Equal up to the ``null`` fields the SDK writes out for absent optional fields."""

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return clean(got) == clean(want)


# -- websocket relay -------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def ws_relay(
    event_delay: float = 0.0,
) -> AsyncIterator[tuple[FakeTextQL, TestClient[Any, Any], Any]]:
    relay = load("websocket_relay/app.py")
    async with FakeTextQL(event_delay=event_delay) as fake, fake.client() as client:
        app = relay.make_app(client)
        async with TestClient(TestServer(app)) as http:
            yield fake, http, app[relay.RELAY]


async def receive_answer(
    ws: aiohttp.ClientWebSocketResponse, start: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Fold one answer's messages: blocks by index, plus the start and end messages."""
    if start is None:
        start = await ws.receive_json(timeout=10)
    if start["type"] == "error":
        return {"start": None, "end": start, "blocks": [], "updates": 0}
    assert start["type"] == "start"
    blocks: dict[int, dict[str, Any]] = {}
    updates = 0
    while True:
        message = await ws.receive_json(timeout=10)
        if message["type"] != "update":
            break
        updates += 1
        for block in message["blocks"]:
            assert block["tag"] == block["block"].get("tag")
            assert block["id"] == block["block"].get("id")
            blocks[block["index"]] = block["block"]
    assert sorted(blocks) == list(range(len(blocks)))
    return {
        "start": start,
        "end": message,
        "blocks": [blocks[i] for i in sorted(blocks)],
        "updates": updates,
    }


async def test_websocket_relay_streams_the_answer() -> None:
    async with ws_relay(event_delay=0.002) as (fake, http, relay):
        async with http.ws_connect("/ws") as ws:
            await ws.send_json({"type": "ask", "question": QUESTION})
            got = await receive_answer(ws)
        assert got["start"] == {"type": "start", "question": QUESTION, "shared": False}
        assert got["end"]["type"] == "done"
        assert got["end"]["chat_id"] == fake.chats[0].chat_id
        assert got["end"]["answer"] == final_json(fake)[-1]["contents"]
        assert same_blocks(got["blocks"], final_json(fake))
        assert got["updates"] > len(got["blocks"])  # blocks grew over several updates
        assert relay.active == {}  # a finished answer leaves the registry
        page = await http.get("/")
        html = await page.text()
        assert page.status == 200 and 'id="answer"' in html and "new WebSocket" in html


async def test_websocket_relay_shares_one_upstream_per_question() -> None:
    async with ws_relay(event_delay=0.02) as (fake, http, relay):
        async with http.ws_connect("/ws") as first, http.ws_connect("/ws") as second:
            await first.send_json({"type": "ask", "question": QUESTION})
            assert (await first.receive_json(timeout=5))["shared"] is False
            assert (await first.receive_json(timeout=5))["type"] == "update"
            assert list(relay.active) == [QUESTION]
            await second.send_json({"type": "ask", "question": QUESTION})
            late = await receive_answer(second)
            rest = []
            while (message := await first.receive_json(timeout=10))["type"] == "update":
                rest.append(message)
            assert message["type"] == "done"
            assert late["start"]["shared"] is True and late["end"]["type"] == "done"
            assert asked(fake) == [QUESTION]  # one upstream stream for both sockets
            assert same_blocks(late["blocks"], final_json(fake))
            # asked again after it finished: a new answer
            await second.send_json({"type": "ask", "question": QUESTION})
            again = await receive_answer(second)
            assert again["start"]["shared"] is False and asked(fake) == [QUESTION, QUESTION]
        assert relay.active == {}


async def test_websocket_relay_errors_and_replacing_a_question() -> None:
    async with ws_relay(event_delay=0.05) as (fake, http, relay):
        async with http.ws_connect("/ws") as ws:
            await ws.send_json({"type": "ask", "question": "   "})
            got = await receive_answer(ws)
            assert got["end"]["type"] == "error" and "query" in got["end"]["message"]
            assert asked(fake) == []

            await ws.send_json({"type": "ask", "question": "slow one"})
            assert (await ws.receive_json(timeout=5))["type"] == "start"
            await fake.wait_for_requests(1)
            fake.event_delay = 0.0
            fake.inject(DropAfter(events=6))
            await ws.send_json({"type": "ask", "question": "broken"})  # replaces "slow one"
            while (message := await ws.receive_json(timeout=10))["type"] != "start":
                assert message["type"] == "update"  # the rest of "slow one", if any
            got = await receive_answer(ws, message)
            assert got["start"]["question"] == "broken"
            assert got["end"]["type"] == "error" and got["blocks"]
            await fake.wait_for_streams_closed()  # "slow one" was closed when replaced
            await ws.send_str("not json")
            await ws.send_json({"type": "something else"})
        assert asked(fake) == ["slow one", "broken"]
        await fake.wait_for_streams_closed()
        assert relay.active == {}


async def test_websocket_relay_closing_the_socket_closes_the_upstream() -> None:
    async with ws_relay(event_delay=0.05) as (fake, http, relay):
        async with http.ws_connect("/ws") as ws:
            await ws.send_json({"type": "ask", "question": QUESTION})
            assert (await ws.receive_json(timeout=5))["type"] == "start"
            assert (await ws.receive_json(timeout=5))["type"] == "update"
        await fake.wait_for_streams_closed(timeout=5)
        await asyncio.sleep(0.05)
        assert relay.active == {}


# -- SSE relay -------------------------------------------------------------------------------


async def read_sse(response: aiohttp.ClientResponse) -> list[tuple[str, dict[str, Any]]]:
    decoder = SSEDecoder()
    events: list[tuple[str, dict[str, Any]]] = []
    async for chunk in response.content.iter_any():
        events += [(e.event, json.loads(e.data)) for e in decoder.feed(chunk)]
    return events


def fold(events: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    blocks: dict[int, dict[str, Any]] = {}
    for name, data in events:
        if name == "block":
            assert data["is_new"] == (data["index"] not in blocks)
            blocks[data["index"]] = data["block"]
    return [blocks[i] for i in sorted(blocks)]


async def test_sse_relay_streams_the_answer() -> None:
    sse = load("sse_relay.py")
    async with FakeTextQL(event_delay=0.002) as fake, fake.client() as client:
        async with TestClient(TestServer(sse.make_app(client))) as http:
            response = await http.get("/ask", params={"q": QUESTION})
            assert response.status == 200
            assert response.headers["Content-Type"] == "text/event-stream"
            events = await read_sse(response)
            assert events[-1] == (
                "done",
                {"chat_id": fake.chats[0].chat_id, "answer": final_json(fake)[-1]["contents"]},
            )
            assert same_blocks(fold(events), final_json(fake))
            assert len(events) > len(fold(events)) + 1  # blocks grew over several events

            page = await http.get("/")
            assert "EventSource" in await page.text() and "source.close()" in await page.text()
            assert (await http.get("/ask")).status == 400

            fake.inject(DropAfter(events=6))
            events = await read_sse(await http.get("/ask", params={"q": "broken"}))
            assert events[-1][0] == "error" and fold(events)


async def test_sse_relay_browser_leaving_closes_the_upstream() -> None:
    sse = load("sse_relay.py")
    async with FakeTextQL(event_delay=0.05) as fake, fake.client() as client:
        async with TestClient(TestServer(sse.make_app(client))) as http:
            response = await http.get("/ask", params={"q": QUESTION})
            await response.content.readline()  # the first event is on its way
            assert fake.active_streams == 1
            response.close()
            await fake.wait_for_streams_closed(timeout=5)


# -- as a user runs them ---------------------------------------------------------------------


@contextlib.asynccontextmanager
async def running(relative: str, lines: list[str] | None = None) -> AsyncIterator[str]:
    """Run an example server on its embedded fake and a free port; yield its URL (and put
    what it printed before it into ``lines``)."""
    env = {**os.environ, "TEXTQL_API_KEY": "", "TEXTQL_MEMBER_ID": "", "TEXTQL_BASE_URL": ""}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / relative),
        "--port",
        "0",
        "--event-delay",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    assert process.stdout is not None
    try:
        url = None
        async with asyncio.timeout(20) if hasattr(asyncio, "timeout") else contextlib.nullcontext():
            while url is None:
                line = (await process.stdout.readline()).decode()
                assert line, "the example exited before printing its URL"
                if lines is not None:
                    lines.append(line.strip())
                if "open http://" in line:
                    url = line.split("open ", 1)[1].strip()
        yield url
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.communicate(), 10)
            except asyncio.TimeoutError:
                process.kill()
                await process.communicate()
    assert process.returncode in (0, -signal.SIGINT), process.returncode


@pytest.mark.timeout(60)
async def test_websocket_relay_main_runs_on_its_embedded_fake() -> None:
    async with running("websocket_relay/app.py") as url, aiohttp.ClientSession() as session:
        async with session.get(url) as page:
            assert page.status == 200 and "Ana, <span>live</span>" in await page.text()
        async with session.ws_connect(url + "ws") as ws:
            await ws.send_json({"type": "ask", "question": "Why did the query fail?"})
            got = await receive_answer(ws)
    assert got["end"]["type"] == "done"
    assert [b["tag"] for b in got["blocks"]].count("ErrorBlock") == 1  # "fail": the error demo


@pytest.mark.timeout(60)
async def test_sse_relay_main_runs_on_its_embedded_fake() -> None:
    async with running("sse_relay.py") as url, aiohttp.ClientSession() as session:
        async with session.get(url + "ask", params={"q": QUESTION}) as response:
            events = await read_sse(response)
    assert events[-1][0] == "done" and events[-1][1]["answer"]
    assert [b["tag"] for b in fold(events)] == [
        "TextBlock",
        "PythonBlock",
        "OntologyBlock",
        "TextBlock",
    ]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("relative", ["sse_relay.py", "websocket_relay/app.py"])
async def test_relay_examples_run_on_uvloop_when_it_is_installed(relative: str) -> None:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        expected = "event loop: asyncio"
    else:
        expected = "event loop: uvloop"
    lines: list[str] = []
    async with running(relative, lines) as url, aiohttp.ClientSession() as session:
        async with session.get(url) as page:
            assert page.status == 200
    assert expected in lines
