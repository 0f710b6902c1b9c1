"""A minimal aiohttp server writing pre-built event-stream bytes (run in its own process).

``python -m benchmarks.server DIR`` serves ``GET /api/ana?query=NAME`` with the bytes of
``DIR/NAME.sse`` (``Content-Type: text/event-stream``, chunked transfer encoding, written in
1 MiB pieces; ``query=NAME@N`` writes it in pieces of N bytes, ``query=NAME@event`` one write
per event, as a real SSE server does) and prints ``PORT <n>`` once it listens on 127.0.0.1. It checks no
credentials: it stands in for the network, not for TextQL. Requests are counted per name
(``GET /count?query=NAME``).
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from pathlib import Path

from aiohttp import web

__all__ = ["build_app", "main"]

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


async def _serve(directory: Path) -> None:
    runner = web.AppRunner(build_app(directory), access_log=None)
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
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m benchmarks.server DIR")
    try:
        asyncio.run(_serve(Path(sys.argv[1])))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
