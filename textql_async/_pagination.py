"""One async pager for the API's three pagination styles.

- offset/limit (``/v2/chats``, ``/v2/playbooks``, ``/v2/chats/{id}/cells``, ``/v1/chat/list``),
- an opaque cursor (``next_cursor``: ``/v2/sandcastles``...),
- a page token (``next_page_token``: ``/v2/changes``, ``/v2/api-keys``; the partner API's
  ``next_token``).

A resource supplies ``fetch(token) -> page`` and ``advance(page, token) -> next token or
None``; :func:`paginate` does the loop once, for every resource.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar

__all__ = ["by_offset", "by_token", "paginate"]

P = TypeVar("P")
T = TypeVar("T")
K = TypeVar("K")


async def paginate(
    fetch: Callable[[K | None], Awaitable[P]],
    items: Callable[[P], Sequence[T]],
    advance: Callable[[P, K | None], K | None],
) -> AsyncIterator[T]:
    """Yield every item of every page, fetching the next page only when it is needed."""
    token: K | None = None
    while True:
        page = await fetch(token)
        batch = items(page)
        for item in batch:
            yield item
        following = advance(page, token)
        if following is None or following == token or not batch:
            return
        token = following


def by_offset(
    count: Callable[[P], int],
    more: Callable[[P], bool | None],
    start: int = 0,
) -> Callable[[P, int | None], int | None]:
    """``advance`` for offset/limit pages: the next offset while the page says there is more."""

    def advance(page: P, offset: int | None) -> int | None:
        got = count(page)
        if not got or more(page) is False:
            return None
        return (start if offset is None else offset) + got

    return advance


def by_token(next_token: Callable[[P], str | None]) -> Callable[[P, str | None], str | None]:
    """``advance`` for cursor and page-token pages: the server's next token, until it is empty."""

    def advance(page: P, _token: str | None) -> str | None:
        return next_token(page) or None

    return advance
