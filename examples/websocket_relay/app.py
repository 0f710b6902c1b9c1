"""Watch Ana's answer grow live in a browser: an aiohttp.web app relaying the SDK over a websocket.

    python examples/websocket_relay/app.py                 # against an embedded FakeTextQL
    TEXTQL_API_KEY=... python examples/websocket_relay/app.py   # against TextQL (env credentials)

Open the printed URL, type a question, and Ana's blocks appear and grow: text as it
extends, Python code with its results, Ontology queries with their SQL and rows, errors in
red. The page (index.html, plain JS) talks to ``/ws``:

    page -> server   {"type": "ask", "question": "..."}
    server -> page   {"type": "start", "question", "shared"}
                     {"type": "update", "chat_id", "done", "blocks": [{"index", "id", "tag", "block"}]}
                     {"type": "done", "chat_id", "answer"}  or  {"type": "error", "message"}

Each update carries only the blocks that changed since the last one this page got. Tabs
asking the same question share ONE upstream Ana stream: the relay keeps a registry of
active :class:`~textql_async.Broadcaster` s keyed by question, and a tab that joins late
first gets the answer so far. A slow tab skips to the newest state instead of holding the
others back; when the last tab leaves, the upstream stream is closed.

Runs on uvloop when it is installed (``pip install 'textql-async[speed]'``): less CPU
per relayed answer. The SDK itself runs on any asyncio loop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pathlib
import re
import weakref
from typing import Any

from aiohttp import WSMsgType, web

try:  # the `speed` extra: uvloop cuts the CPU each relayed answer costs
    import uvloop
except ImportError:  # pragma: no cover - the relay runs on asyncio's own loop as well
    uvloop = None

from textql_async import AsyncTextQL, Block, Broadcaster, Subscription, TextQLError, UnknownBlock
from textql_async.models.ana import block_to_builtins
from textql_async.testing import FakeTextQL, block_id, default_answer

__all__ = ["Relay", "answer_with_error", "main", "make_app"]

PAGE = pathlib.Path(__file__).with_name("index.html")
RELAY: web.AppKey[Relay] = web.AppKey("relay")
SOCKETS: web.AppKey[weakref.WeakSet[web.WebSocketResponse]] = web.AppKey("sockets")


class Relay:
    """The registry of live answers: one upstream stream per question, many subscribers."""

    def __init__(self, client: AsyncTextQL, *, buffer: int = 8) -> None:
        self.client = client
        self.buffer = buffer
        self.active: dict[str, Broadcaster] = {}

    def join(self, question: str) -> tuple[Broadcaster, Subscription, bool]:
        """Subscribe to the live answer to ``question``, asking Ana only if nobody is."""
        broadcaster = self.active.get(question)
        shared = broadcaster is not None and not broadcaster.finished
        if broadcaster is None or not shared:
            broadcaster = self.client.ana.stream(question).broadcast(buffer=self.buffer)
            self.active[question] = broadcaster
        return broadcaster, broadcaster.subscribe(), shared

    def release(self, question: str, broadcaster: Broadcaster) -> None:
        """Forget a finished or abandoned answer, so the next ask starts a new one."""
        if self.active.get(question) is broadcaster and (
            broadcaster.finished or broadcaster.subscriber_count == 0
        ):
            del self.active[question]


def block_message(index: int, block: Block) -> dict[str, Any]:
    """One block for the page: its position, id, tag and wire JSON."""
    tag = block.tag if isinstance(block, UnknownBlock) else type(block).__name__
    return {"index": index, "id": block.id, "tag": tag, "block": block_to_builtins(block)}


async def relay_answer(ws: web.WebSocketResponse, relay: Relay, question: str) -> None:
    """Send the answer to ``question`` to one page, as it grows, until done or failed."""
    try:
        broadcaster, subscription, shared = relay.join(question)
    except ValueError as exc:  # e.g. an empty question, rejected before any request
        await ws.send_json({"type": "error", "message": str(exc)})
        return
    sent: tuple[Block, ...] = ()
    try:
        await ws.send_json({"type": "start", "question": question, "shared": shared})
        async with subscription:
            async for snapshot in subscription:
                changed = [
                    block_message(i, block)
                    for i, block in enumerate(snapshot.blocks)
                    if i >= len(sent) or sent[i] is not block
                ]
                sent = snapshot.blocks
                await ws.send_json(
                    {
                        "type": "update",
                        "chat_id": snapshot.chat_id,
                        "done": snapshot.done,
                        "blocks": changed,
                    }
                )
        snapshot = broadcaster.snapshot
        await ws.send_json({"type": "done", "chat_id": snapshot.chat_id, "answer": snapshot.answer})
    except TextQLError as exc:
        with contextlib.suppress(ConnectionError):
            await ws.send_json({"type": "error", "message": str(exc)})
    except ConnectionError:
        pass  # the page went away; leaving the subscription above was enough
    finally:
        relay.release(question, broadcaster)


async def websocket(request: web.Request) -> web.WebSocketResponse:
    """One page's socket: each ``ask`` replaces the answer it is watching."""
    ws = web.WebSocketResponse(heartbeat=30)
    await ws.prepare(request)
    request.app[SOCKETS].add(ws)
    relay = request.app[RELAY]
    task: asyncio.Task[None] | None = None
    try:
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                data = json.loads(message.data)
            except ValueError:
                continue
            if not isinstance(data, dict) or data.get("type") != "ask":
                continue
            if task is not None:
                task.cancel()
            question = str(data.get("question", "")).strip()
            task = asyncio.ensure_future(relay_answer(ws, relay, question))
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return ws


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(PAGE, headers={"Cache-Control": "no-store"})


async def _close_sockets(app: web.Application) -> None:
    for ws in list(app[SOCKETS]):
        await ws.close(code=1001, message=b"server shutdown")


def make_app(client: AsyncTextQL, *, buffer: int = 8) -> web.Application:
    """The relay: ``GET /`` is the page, ``GET /ws`` its websocket. ``client`` stays yours."""
    app = web.Application()
    app[RELAY] = Relay(client, buffer=buffer)
    app[SOCKETS] = weakref.WeakSet()
    app.router.add_get("/", index)
    app.router.add_get("/ws", websocket)
    app.on_shutdown.append(_close_sockets)
    return app


def answer_with_error(question: str) -> list[Any]:
    """The fake's default answer with a failed warehouse query (an ErrorBlock) in the middle."""
    seed = "relay\x00" + question
    events = default_answer(
        question, chat_id="relay-" + block_id(seed, 0)[:8], user_msg_id=1, assistant_msg_id=2
    )
    error = {
        "tag": "ErrorBlock",
        "contents": "Warehouse query timed out after 30 s; retrying on a 90-day sample.",
    }
    retry = block_id(seed, 1)
    extra: list[Any] = [
        ("block", error),
        ("block", {"tag": "TextBlock", "id": retry, "contents": "Retrying"}),
        ("block", {"tag": "TextBlock", "id": retry, "contents": "Retrying with a smaller sample."}),
    ]
    ontology = max(
        i
        for i, (name, payload) in enumerate(events)
        if name == "block" and isinstance(payload, dict) and payload["tag"] == "OntologyBlock"
    )
    return [*events[: ontology + 1], *extra, *events[ontology + 1 :]]


async def serve(client: AsyncTextQL, host: str, port: int) -> None:
    """Serve the relay until cancelled, printing its URL."""
    runner = web.AppRunner(make_app(client), shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1]
        print(f"websocket relay: open http://{host}:{bound}/", flush=True)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


async def run(host: str, port: int, event_delay: float) -> None:
    print(f"event loop: {type(asyncio.get_running_loop()).__module__.split('.')[0]}")
    if os.environ.get("TEXTQL_API_KEY"):
        async with AsyncTextQL() as client:
            print("asking TextQL with the credentials from the environment", flush=True)
            await serve(client, host, port)
        return
    async with FakeTextQL(event_delay=event_delay) as fake, fake.client() as client:
        fake.add_answer(re.compile(r"(?i)\b(error|fail)"), answer_with_error)
        print(f"asking an embedded FakeTextQL at {fake.url} (set TEXTQL_API_KEY for TextQL)")
        print("a question mentioning 'error' or 'fail' shows an error block", flush=True)
        await serve(client, host, port)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="default: %(default)s")
    parser.add_argument(
        "--port", type=int, default=8080, help="0 picks a free one (default: %(default)s)"
    )
    parser.add_argument(
        "--event-delay",
        type=float,
        default=0.08,
        metavar="SECONDS",
        help="the fake's pause between events, to watch the answer grow (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    runner = asyncio.run if uvloop is None else uvloop.run  # uvloop when installed
    with contextlib.suppress(KeyboardInterrupt):
        runner(run(args.host, args.port, args.event_delay))


if __name__ == "__main__":
    main()
