"""Re-stream Ana's answer to a browser as Server-Sent Events, with aiohttp.web.

    python examples/sse_relay.py                  # against an embedded FakeTextQL
    TEXTQL_API_KEY=... python examples/sse_relay.py   # against TextQL (env credentials)

Open the printed URL and ask. ``GET /ask?q=...`` is an event stream:

    event: block   data: {"index": 0, "is_new": true, "block": {"tag": "TextBlock", ...}}
    event: done    data: {"chat_id": "...", "answer": "..."}
    event: error   data: {"message": "..."}

A block with an ``index`` the page already has replaces it (Ana re-sends a block as it
grows). The page closes its ``EventSource`` on ``done`` or ``error``: left open, the
browser would reconnect by itself and ask Ana the question again. A browser that goes away
ends the handler's next write, which closes the upstream Ana stream at once.

Runs on uvloop when it is installed (``pip install 'textql-async[speed]'``): less CPU
per relayed answer. The SDK itself runs on any asyncio loop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
from typing import Any

from aiohttp import web

try:  # the `speed` extra: uvloop cuts the CPU each relayed answer costs
    import uvloop
except ImportError:  # pragma: no cover - the relay runs on asyncio's own loop as well
    uvloop = None

from textql_async import AsyncTextQL, TextQLError
from textql_async.models.ana import block_to_builtins
from textql_async.testing import FakeTextQL

__all__ = ["main", "make_app"]

CLIENT: web.AppKey[AsyncTextQL] = web.AppKey("client")

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ana over SSE</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 820px; margin: 2em auto; padding: 0 1em; }
  form { display: flex; gap: .5em; } input { flex: 1; padding: .5em; font: inherit; }
  article { border-left: 4px solid #3b5bdb; background: #f8f9fa; margin: .8em 0; padding: .4em .8em; }
  article[data-tag=ErrorBlock] { border-color: #c92a2a; color: #c92a2a; }
  pre { white-space: pre-wrap; margin: 0; } small { color: #667085; }
</style></head>
<body>
<h1>Ana over Server-Sent Events</h1>
<form id="ask"><input id="q" placeholder="Ask Ana..." required><button>Ask</button></form>
<p id="status"></p><div id="answer"></div>
<script>
"use strict";
const answer = document.getElementById("answer"), status = document.getElementById("status");
let source = null;
function text(block) {
  if (block.tag === "PythonBlock")
    return [block.contents, ...(block.results || []).map((r) => "-> " + (r.contents || r.url || r.tag))].join("\\n");
  if (block.tag === "OntologyBlock") {
    const result = (block.contents || {}).result || {};
    return [(block.contents || {}).query, result.sqlQuery, result.oai_output].filter(Boolean).join("\\n");
  }
  return typeof block.contents === "string" ? block.contents : JSON.stringify(block);
}
document.getElementById("ask").addEventListener("submit", (event) => {
  event.preventDefault();
  if (source) source.close();
  answer.replaceChildren();
  status.textContent = "Ana is working...";
  source = new EventSource("ask?q=" + encodeURIComponent(document.getElementById("q").value));
  source.addEventListener("block", (event) => {
    const update = JSON.parse(event.data);
    let el = document.getElementById("block-" + update.index);
    if (!el) { el = document.createElement("article"); el.id = "block-" + update.index; answer.append(el); }
    el.dataset.tag = update.block.tag;
    const label = document.createElement("small"), body = document.createElement("pre");
    label.textContent = update.block.tag;
    body.textContent = text(update.block);
    el.replaceChildren(label, body);
  });
  source.addEventListener("done", (event) => {
    source.close();  // else EventSource reconnects and asks again
    status.textContent = "Done, chat " + JSON.parse(event.data).chat_id;
  });
  source.addEventListener("error", (event) => {
    source.close();
    status.textContent = event.data ? JSON.parse(event.data).message : "connection lost";
  });
});
</script>
</body></html>
"""


def sse(event: str, data: dict[str, Any]) -> bytes:
    """One SSE frame; JSON has no raw line breaks, so one ``data:`` line is enough."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


async def page(request: web.Request) -> web.Response:
    return web.Response(text=PAGE, content_type="text/html")


async def ask(request: web.Request) -> web.StreamResponse:
    """``GET /ask?q=...``: the answer as it grows, one ``block`` event per update."""
    question = request.query.get("q", "").strip()
    if not question:
        raise web.HTTPBadRequest(text="missing ?q=question")
    client = request.app[CLIENT]
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",  # tell proxies not to buffer the stream
        }
    )
    await response.prepare(request)
    try:
        # coalesce: a slow browser gets the newest version of each block, never a backlog
        async with client.ana.stream(question, coalesce=True) as stream:
            async for update in stream:
                await response.write(
                    sse(
                        "block",
                        {
                            "index": update.index,
                            "is_new": update.is_new,
                            "block": block_to_builtins(update.block),
                        },
                    )
                )
            snapshot = stream.snapshot
        await response.write(sse("done", {"chat_id": snapshot.chat_id, "answer": snapshot.answer}))
    except TextQLError as exc:
        with contextlib.suppress(ConnectionError):
            await response.write(sse("error", {"message": str(exc)}))
    except ConnectionError:
        return response  # the browser left; leaving `async with` closed the Ana stream
    with contextlib.suppress(ConnectionError):
        await response.write_eof()
    return response


def make_app(client: AsyncTextQL) -> web.Application:
    """``GET /`` is the page, ``GET /ask?q=`` the event stream. ``client`` stays yours."""
    app = web.Application()
    app[CLIENT] = client
    app.router.add_get("/", page)
    app.router.add_get("/ask", ask)
    return app


async def serve(client: AsyncTextQL, host: str, port: int) -> None:
    runner = web.AppRunner(make_app(client), shutdown_timeout=1.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        print(f"SSE relay: open http://{host}:{runner.addresses[0][1]}/", flush=True)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


async def run(host: str, port: int, event_delay: float) -> None:
    print(f"event loop: {type(asyncio.get_running_loop()).__module__.split('.')[0]}")
    if os.environ.get("TEXTQL_API_KEY"):
        async with AsyncTextQL() as client:
            await serve(client, host, port)
        return
    async with FakeTextQL(event_delay=event_delay) as fake, fake.client() as client:
        print(f"asking an embedded FakeTextQL at {fake.url} (set TEXTQL_API_KEY for TextQL)")
        await serve(client, host, port)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free one")
    parser.add_argument("--event-delay", type=float, default=0.08, metavar="SECONDS")
    args = parser.parse_args(argv)
    runner = asyncio.run if uvloop is None else uvloop.run  # uvloop when installed
    with contextlib.suppress(KeyboardInterrupt):
        runner(run(args.host, args.port, args.event_delay))


if __name__ == "__main__":
    main()
