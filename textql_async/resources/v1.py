"""``client.v1``: the v1 Connect-RPC chat endpoints (``POST /v1/chat*``).

Every call is a Connect unary POST: the transport adds ``Connect-Protocol-Version: 1``
and ``Connect-Timeout-Ms`` (from the call's timeout) and maps a Connect error body
``{"code", "message"}`` to the typed error of its code (``not_found`` ->
``NotFoundError``, ``unavailable`` retried, then ``ServerError``...).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from textql_async._config import Timeout, as_timeout
from textql_async._options import RequestOptions
from textql_async._pagination import by_offset, paginate
from textql_async._transport import Transport
from textql_async.models.v1 import (
    V1Chat,
    V1ChatPage,
    V1ChatResponse,
    V1ChatThread,
    V1ChatTools,
    V1SortBy,
    V1SortDirection,
    cancelled_decoder,
    page_decoder,
    response_decoder,
    thread_decoder,
)
from textql_async.resources._base import Resource, decode_response, require_text

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["V1ChatsResource", "V1Resource"]

T = TypeVar("T")
_INT32_MAX = 2**31 - 1


class V1ChatsResource(Resource, family="v1.chats"):
    """``client.v1.chats``: chats through the Connect-RPC API (deprecated upstream in favour of v2)."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def _call(
        self,
        path: str,
        body: dict[str, Any],
        decode: Callable[[bytes], T],
        timeout: Timeout | float | None,
        *,
        idempotent: bool = True,
        **options: Unpack[RequestOptions],
    ) -> T:
        response = await self._transport.request(
            "POST",
            path,
            json=body,
            timeout=as_timeout(timeout) if timeout is not None else None,
            idempotent=idempotent,
            connect=True,
            **options,
        )
        return decode_response(response, decode)

    async def get(
        self,
        chat_id: str,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> V1ChatThread:
        """A chat with its messages and assets (``POST /v1/chat/get``).

        ``thread = await client.v1.chats.get(chat_id); print(thread.chat.model_enum)``
        """
        require_text("chat_id", chat_id)
        return await self._call(
            "/v1/chat/get", {"chatId": chat_id}, thread_decoder.decode, timeout, **options
        )

    async def list(
        self,
        *,
        member_only: bool = False,
        search_term: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
        sort_by: V1SortBy | int | None = None,
        sort_direction: V1SortDirection | int | None = None,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> V1ChatPage:
        """One page of chats with ``total_count`` (``POST /v1/chat/list``).

        ``member_only=True`` keeps the caller's own chats; ``search_term`` matches the
        summary or the first message. ``sort_by`` / ``sort_direction`` travel as integers.

        ``page = await client.v1.chats.list(limit=20, sort_by=V1SortBy.UPDATED_AT)``
        """
        if not isinstance(member_only, bool):
            raise TypeError("member_only must be a bool")
        body: dict[str, Any] = {"memberOnly": member_only}
        if search_term is not None:
            if not isinstance(search_term, str):
                raise TypeError("search_term must be a str")
            body["searchTerm"] = search_term
        if limit is not None:
            body["limit"] = _int32("limit", limit)
        if offset is not None:
            body["offset"] = _int32("offset", offset)
        if sort_by is not None:
            body["sortBy"] = int(_enum(V1SortBy, "sort_by", sort_by))
        if sort_direction is not None:
            body["sortDirection"] = int(_enum(V1SortDirection, "sort_direction", sort_direction))
        return await self._call("/v1/chat/list", body, page_decoder.decode, timeout, **options)

    def iter(
        self,
        *,
        member_only: bool = False,
        search_term: str | None = None,
        sort_by: V1SortBy | int | None = None,
        sort_direction: V1SortDirection | int | None = None,
        page_size: int = 100,
        **options: Unpack[RequestOptions],
    ) -> AsyncIterator[V1Chat]:
        """Every matching chat, fetching pages of ``page_size`` lazily until ``total_count``.

        ``async for chat in client.v1.chats.iter(member_only=True): print(chat.summary)``
        """
        if _int32("page_size", page_size) < 1:
            raise ValueError("page_size must be at least 1")

        async def fetch(offset: int | None) -> tuple[int, V1ChatPage]:
            start = offset or 0
            page = await self.list(
                member_only=member_only,
                search_term=search_term,
                limit=page_size,
                offset=start,
                sort_by=sort_by,
                sort_direction=sort_direction,
                **options,
            )
            return start, page

        def more(item: tuple[int, V1ChatPage]) -> bool:
            start, page = item
            if page.total_count:  # the server may cap ``limit``: trust the total
                return start + len(page.chats) < page.total_count
            return len(page.chats) >= page_size

        return paginate(
            fetch, lambda item: item[1].chats, by_offset(lambda item: len(item[1].chats), more)
        )

    async def create(
        self,
        question: str,
        *,
        chat_id: str | None = None,
        tools: V1ChatTools | None = None,
        connector_ids: Sequence[int] | None = None,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> V1ChatResponse:
        """Ask a question (at least 3 characters) and wait for the answer (``POST /v1/chat``).

        Not retried once sent: a retry could ask twice. ``connector_ids`` is a shortcut
        for ``tools=V1ChatTools(connector_ids=...)``.

        ``answer = await client.v1.chats.create("Revenue by region?", connector_ids=[1])``
        """
        require_text("question", question)
        if len(question) < 3:
            raise ValueError("question must be at least 3 characters")
        body: dict[str, Any] = {"question": question}
        if chat_id is not None:
            body["chatId"] = require_text("chat_id", chat_id)
        if tools is not None and not isinstance(tools, V1ChatTools):
            raise TypeError("tools must be a V1ChatTools")
        if connector_ids is not None:
            ids = [_connector_id(c) for c in connector_ids]
            if tools is not None and tools.connector_ids is not None:
                raise ValueError("pass connector_ids or tools.connector_ids, not both")
            tools = msgspec.structs.replace(tools or V1ChatTools(), connector_ids=ids)
        if tools is not None:
            body["tools"] = msgspec.to_builtins(tools)
        return await self._call(
            "/v1/chat",
            body,
            response_decoder.decode,
            timeout,
            idempotent=False,
            **options,
        )

    async def cancel(
        self,
        chat_id: str,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> bool:
        """Stop a chat's running answer (``POST /v1/chat/cancel``); ``True`` if the chat exists.

        ``await client.v1.chats.cancel(chat_id)``
        """
        require_text("chat_id", chat_id)
        response = await self._call(
            "/v1/chat/cancel",
            {"chatId": chat_id},
            cancelled_decoder.decode,
            timeout,
            **options,
        )
        return response.exists


class V1Resource(Resource, family="v1"):
    """The v1 (Connect-RPC, deprecated upstream) API groups."""

    chats: V1ChatsResource

    def __init__(self, transport: Transport) -> None:
        self.chats = V1ChatsResource(transport)


def _int32(name: str, value: object) -> int:
    """A non-negative int32 argument (``limit``, ``offset``), checked before any request."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not 0 <= value <= _INT32_MAX:
        raise ValueError(f"{name} must be between 0 and {_INT32_MAX}, got {value}")
    return value


E = TypeVar("E", V1SortBy, V1SortDirection)


def _enum(kind: type[E], name: str, value: object) -> E:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a {kind.__name__} or an int")
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(f"{m.name}={m.value}" for m in kind)
        raise ValueError(f"{name} must be one of {allowed}, got {value}") from None


def _connector_id(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("connector ids must be ints")
    return value
