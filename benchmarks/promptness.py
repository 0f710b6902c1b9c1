"""Events are yielded as soon as their blank line arrives: a check, not a timing.

A loopback server writes the first events of an answer, then holds the rest until the
client has seen its first block update. A client that waits for more bytes (a full buffer,
the next event, the end) before yielding would deadlock here; ``timeout`` only turns such
a deadlock into ``False``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web

from textql_async import AsyncTextQL
from textql_async.testing import render_script

__all__ = ["PROMPT_VIEWS", "prompt_delivery"]

PROMPT_VIEWS = (
    "async for",
    "async for (coalesce=True)",
    "snapshots()",
    "text_deltas()",
)

_FIRST = render_script(
    [
        ("chatId", "prompt-chat"),
        ("userMsgId", 1),
        ("assistantMsgId", 2),
        ("block", {"tag": "TextBlock", "contents": "The largest", "id": "b1"}),
    ]
)
_REST = render_script(
    [
        ("block", {"tag": "TextBlock", "contents": "The largest store", "id": "b1"}),
        ("block", {"tag": "TextBlock", "contents": "is in New York.", "id": "b2"}),
        ("message", "done"),
    ]
)


async def prompt_delivery(view: str, timeout: float = 10.0) -> bool:
    """Whether ``view`` yields the first update while the server still holds the rest."""
    release = asyncio.Event()
    held_when_seen: list[bool] = []

    async def ana(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(_FIRST)
        await release.wait()  # event 2 is held until the client saw event 1
        await response.write(_REST)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/api/ana", ana)
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with AsyncTextQL(api_key="prompt-key", base_url=url, max_retries=0) as client:
            coalesce = view == "async for (coalesce=True)"
            async with client.ana.stream("q", coalesce=coalesce) as stream:
                source: AsyncIterator[object]
                if view == "snapshots()":
                    source = stream.snapshots()
                elif view == "text_deltas()":
                    source = stream.text_deltas()
                else:
                    source = stream.__aiter__()

                async def read() -> None:
                    async for _item in source:
                        if not held_when_seen:
                            held_when_seen.append(not release.is_set())
                            release.set()

                try:
                    await asyncio.wait_for(read(), timeout)
                except asyncio.TimeoutError:
                    return False
                if stream.snapshot.answer != "is in New York.":
                    return False
    finally:
        release.set()
        await runner.cleanup()
    return held_when_seen == [True]
