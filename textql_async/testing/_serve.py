"""Running :class:`FakeTextQL` standalone (``textql-async fake-server`` / ``python -m``)."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from textql_async.testing._server import FakeTextQL

__all__ = ["serve", "serve_forever"]


async def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    api_key: str = "test-key",
    member_id: str = "test-member",
    *,
    event_delay: float = 0.0,
    out: TextIO | None = None,
) -> None:
    """Serve a :class:`FakeTextQL` until cancelled, printing its URL and credentials."""
    stream = out if out is not None else sys.stdout
    async with FakeTextQL(
        api_key, member_id, host=host, port=port, event_delay=event_delay
    ) as fake:
        print(f"Fake TextQL server listening on {fake.url}", file=stream)
        print(f"  TEXTQL_BASE_URL={fake.url}", file=stream)
        print(f"  TEXTQL_API_KEY={api_key}", file=stream)
        print(f"  TEXTQL_MEMBER_ID={member_id}", file=stream)
        print("Press Ctrl+C to stop.", file=stream, flush=True)
        await asyncio.Event().wait()


def serve_forever(
    host: str = "127.0.0.1",
    port: int = 8765,
    api_key: str = "test-key",
    member_id: str = "test-member",
    *,
    event_delay: float = 0.0,
) -> None:
    """Block serving a :class:`FakeTextQL` until Ctrl+C (runs its own event loop)."""
    try:
        asyncio.run(serve(host, port, api_key, member_id, event_delay=event_delay))
    except KeyboardInterrupt:
        pass
