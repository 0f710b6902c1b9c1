"""A minimal aiohttp server writing pre-built event-stream bytes (run in its own process).

``python -m benchmarks.server DIR`` serves ``GET /api/ana?query=NAME`` with the bytes of
``DIR/NAME.sse`` (``Content-Type: text/event-stream``, chunked transfer encoding, written in
1 MiB pieces; ``query=NAME@N`` writes it in pieces of N bytes, ``query=NAME@event`` one write
per event, as a real SSE server does) and prints ``PORT <n>`` once it listens on 127.0.0.1. It checks no
credentials: it stands in for the network, not for TextQL. Requests are counted per name
(``GET /count?query=NAME``).

``python -m benchmarks.server --paced DELAY [LOOP]`` (``LOOP``: ``asyncio`` or ``uvloop``) answers every ``GET /api/ana`` (any question)
with FakeTextQL's default answer, one write per event and ``asyncio.sleep(DELAY)`` before
each, as FakeTextQL with ``event_delay=DELAY`` does - but with the event bytes built once
at start-up and nothing else per event (no chat store, no fault checks, no per-event JSON
encoding): the cheapest paced aiohttp server, so that a benchmark of the client does not
measure the server.
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from pathlib import Path

from aiohttp import web

__all__ = ["build_app", "build_paced_app", "main", "paced_events"]

_PIECE = 1024 * 1024


def build_app(directory: Path) -> web.Application:
    bodies: dict[str, bytes] = {}
    events: dict[str, list[bytes]] = {}
    counts: Counter[str] = Counter()

    def pieces(name: str, data: bytes, piece: str) -> list[memoryview] | list[bytes]:
        if piece == "event":
            if name not in events:
                parts = data.split(b"\n\n")
                tail = parts.pop()
                events[name] = [part + b"\n\n" for part in parts] + ([tail] if tail else [])
            return events[name]
        size = int(piece) if piece else _PIECE
        view = memoryview(data)
        return [view[start : start + size] for start in range(0, len(data), size)]

    def body(name: str) -> bytes | None:
        if name not in bodies:
            path = directory / f"{name}.sse"
            if not path.is_file() or "/" in name or name.startswith("."):
                return None
            bodies[name] = path.read_bytes()
        return bodies[name]

    async def ana(request: web.Request) -> web.StreamResponse:
        name, _, piece = request.query.get("query", "").partition("@")
        data = body(name)
        if data is None:
            return web.Response(status=404, text=f"no stream named {name!r}")
        counts[request.query.get("query", "")] += 1
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        try:
            for part in pieces(name, data, piece):
                await response.write(part)
            await response.write_eof()
        except ConnectionError:
            pass  # the client left early (EventSource closes at done)
        return response

    async def count(request: web.Request) -> web.Response:
        return web.Response(text=str(counts[request.query.get("query", "")]))

    app = web.Application()
    app.router.add_get("/api/ana", ana)
    app.router.add_get("/count", count)
    return app


def paced_events() -> list[bytes]:
    """FakeTextQL's default answer (to the question ``"question"``), one ``bytes`` per event."""
    from textql_async.testing import render_script
    from textql_async.testing._answers import default_answer

    script = default_answer(
        "question",
        chat_id="fake-chat-0123456789abcdef01",
        user_msg_id=33893,
        assistant_msg_id=33894,
    )
    return [render_script([event]) for event in script]


def build_paced_app(delay: float) -> web.Application:
    """Every ``GET /api/ana`` gets :func:`paced_events`, ``delay`` seconds before each write."""
    events = paced_events()
    headers = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}

    async def ana(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers=headers)
        await response.prepare(request)
        try:
            for event in events:
                await asyncio.sleep(delay)
                await response.write(event)
            await response.write_eof()
        except ConnectionError:
            pass
        return response

    app = web.Application()
    app.router.add_get("/api/ana", ana)
    return app


async def _serve(app: web.Application) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = runner.addresses[0][1]
    print(f"PORT {port}", flush=True)
    try:
        await asyncio.Event().wait()  # until terminated
    finally:
        await runner.cleanup()


def main() -> None:
    args = sys.argv[1:]
    loop = "asyncio"
    if len(args) in (2, 3) and args[0] == "--paced":
        app = build_paced_app(float(args[1]))
        loop = args[2] if len(args) == 3 else loop
    elif len(args) == 1:
        app = build_app(Path(args[0]))
    else:
        raise SystemExit("usage: python -m benchmarks.server DIR | --paced DELAY [LOOP]")
    try:
        if loop == "asyncio":
            asyncio.run(_serve(app))
        else:
            from benchmarks.relay_cpu import run_on

            run_on(loop, _serve(app))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
