"""``client.chats``: the v2 chat API (create, stream, history, cells, cancel)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

import aiohttp
import msgspec

from textql_async._chat_stream import ChatStream
from textql_async._config import Timeout, as_timeout
from textql_async._options import RequestOptions
from textql_async._pagination import by_offset, paginate
from textql_async._transport import Transport
from textql_async.models.v2_chats import (
    CellsPage,
    ChatCell,
    ChatPage,
    ChatResponse,
    ChatSummaryV2,
    ChatThread,
    Tools,
    cancelled_decoder,
)
from textql_async.resources._base import Resource, decode_response, require_text
from textql_async.resources._multipart import FileInput, build_form

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["ChatsResource"]

SortBy = Literal["name", "created_at", "updated_at"]
SortDirection = Literal["asc", "desc"]
_MAX_FILES = 10

_response = msgspec.json.Decoder(ChatResponse).decode
_thread = msgspec.json.Decoder(ChatThread).decode
_page = msgspec.json.Decoder(ChatPage).decode
_cells = msgspec.json.Decoder(CellsPage).decode
_cell = msgspec.json.Decoder(ChatCell).decode


class ChatsResource(Resource, family="chats"):
    """Ask Ana through the v2 REST API (Bearer auth) and read chats back."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def create(
        self,
        question: str,
        *,
        chat_id: str | None = None,
        model: str | None = None,
        connector_ids: Sequence[int] | None = None,
        tools: Tools | None = None,
        files: Sequence[FileInput] | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> ChatResponse:
        """Ask a question and wait for the whole answer.

        ``await client.chats.create("Revenue by region?", connector_ids=[1])``
        """
        with ExitStack() as stack:
            body, form = _chat_body(question, chat_id, model, connector_ids, tools, files, stack)
            response = await self._transport.request(
                "POST",
                "/v2/chats",
                json=body,
                data=form,
                timeout=_timeout(timeout),
                max_retries=max_retries,
                idempotent=False,
                **options,
            )
        return decode_response(response, _response)

    async def create_dashboard(
        self,
        question: str,
        *,
        connector_ids: Sequence[int] | None = None,
        chat_id: str | None = None,
        model: str | None = None,
        tools: Tools | None = None,
        files: Sequence[FileInput] | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
    ) -> ChatResponse:
        """Ask Ana to build a dashboard; its link is ``result.dashboard_url`` (``None`` if none came).

        Takes :meth:`create` 's arguments.

        ``url = (await client.chats.create_dashboard("Monthly revenue by region", connector_ids=[1])).dashboard_url``
        """
        return await self.create(
            question,
            chat_id=chat_id,
            model=model,
            connector_ids=connector_ids,
            tools=tools,
            files=files,
            timeout=timeout,
            max_retries=max_retries,
        )

    def stream(
        self,
        question: str,
        *,
        chat_id: str | None = None,
        model: str | None = None,
        connector_ids: Sequence[int] | None = None,
        tools: Tools | None = None,
        files: Sequence[FileInput] | None = None,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        cancel_on_exit: bool = False,
        **options: Unpack[RequestOptions],
    ) -> ChatStream:
        """Ask a question and stream typed events.

        ``async with client.chats.stream("Top customers?") as s: print((await s.final()).text)``
        """
        args = (question, chat_id, model, connector_ids, tools, files)
        with ExitStack() as probe:  # check every argument, and that the files exist, right now
            _chat_body(*args, probe)
        transport = self._transport
        t = _timeout(timeout) or transport.settings.timeout

        async def opener() -> aiohttp.ClientResponse:
            # files are opened only when the stream is, so a stream never entered leaks nothing
            with ExitStack() as stack:
                body, form = _chat_body(*args, stack)
                response = await transport.open(
                    "POST",
                    "/v2/chats/stream",
                    json=body,
                    data=form,
                    headers={"Accept": "text/event-stream"},
                    timeout=t,
                    max_retries=max_retries,
                    idempotent=False,
                    stream=True,
                    header_timeout=t.idle,
                    content_type="text/event-stream",
                    **options,
                )
            return response

        return ChatStream(
            opener,
            timeout=t,
            registry=transport,
            cancel=self.cancel,
            cancel_on_exit=cancel_on_exit,
            telemetry=transport.telemetry,
        )

    async def get(
        self,
        chat_id: str,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> ChatThread:
        """A chat with its messages and every asset.

        ``thread = await client.chats.get(chat_id)``
        """
        response = await self._transport.request(
            "GET",
            f"/v2/chats/{_path(chat_id)}",
            timeout=_timeout(timeout),
            **options,
        )
        return decode_response(response, _thread)

    async def list(
        self,
        *,
        limit: int | None = None,
        offset: int | None = None,
        search_term: str | None = None,
        sort_by: SortBy | None = None,
        sort_direction: SortDirection | None = None,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> ChatPage:
        """One page of chats (``limit`` 1-100, default 20), with ``total_count``.

        ``page = await client.chats.list(limit=50, search_term="revenue")``
        """
        if limit is not None and not 1 <= limit <= 100:
            raise ValueError("limit must be between 1 and 100")
        if offset is not None and offset < 0:
            raise ValueError("offset must not be negative")
        response = await self._transport.request(
            "GET",
            "/v2/chats",
            params={
                "limit": limit,
                "offset": offset,
                "search_term": search_term,
                "sort_by": sort_by,
                "sort_direction": sort_direction,
            },
            timeout=_timeout(timeout),
            **options,
        )
        return decode_response(response, _page)

    def iter(
        self,
        *,
        page_size: int = 100,
        search_term: str | None = None,
        sort_by: SortBy | None = None,
        sort_direction: SortDirection | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncIterator[ChatSummaryV2]:
        """Every chat, fetching pages lazily.

        ``async for chat in client.chats.iter(search_term="revenue"): ...``
        """
        if not 1 <= page_size <= 100:
            raise ValueError("page_size must be between 1 and 100")

        async def fetch(offset: int | None) -> ChatPage:
            return await self.list(
                limit=page_size,
                offset=offset or 0,
                search_term=search_term,
                sort_by=sort_by,
                sort_direction=sort_direction,
                **options,
            )

        def more(page: ChatPage) -> bool:
            return len(page.chats) >= page_size

        return paginate(fetch, lambda p: p.chats, by_offset(lambda p: len(p.chats), more))

    async def cells(
        self,
        chat_id: str,
        *,
        limit: int | None = None,
        offset: int | None = None,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> CellsPage:
        """One page of a chat's execution steps, paging back from the newest.

        The page holds the ``limit`` most recent cells after skipping ``offset``
        (extended back to the start of their turn, so it may hold a few more), in
        conversation order; ``has_more`` when older ones exist.

        ``page = await client.chats.cells(chat_id, limit=50)``
        """
        if limit is not None and not 1 <= limit <= 500:
            raise ValueError("limit must be between 1 and 500")
        if offset is not None and offset < 0:
            raise ValueError("offset must not be negative")
        response = await self._transport.request(
            "GET",
            f"/v2/chats/{_path(chat_id)}/cells",
            params={"limit": limit, "offset": offset},
            timeout=_timeout(timeout),
            **options,
        )
        return decode_response(response, _cells)

    def iter_cells(
        self, chat_id: str, *, page_size: int = 200, **options: Unpack[RequestOptions]
    ) -> AsyncIterator[ChatCell]:
        """Every cell of a chat, newest first, fetching pages (of about ``page_size``) lazily.

        ``async for cell in client.chats.iter_cells(chat_id): ...``
        """
        require_text("chat_id", chat_id)
        if not 1 <= page_size <= 500:
            raise ValueError("page_size must be between 1 and 500")

        async def fetch(offset: int | None) -> CellsPage:
            return await self.cells(chat_id, limit=page_size, offset=offset or 0, **options)

        # each page is in conversation order: reversed, the whole walk is newest first
        return paginate(
            fetch, lambda p: p.cells[::-1], by_offset(lambda p: len(p.cells), lambda p: p.has_more)
        )

    async def cell(
        self,
        chat_id: str,
        cell_id: str,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> ChatCell:
        """One execution step of a chat.

        ``cell = await client.chats.cell(chat_id, cell_id)``
        """
        response = await self._transport.request(
            "GET",
            f"/v2/chats/{_path(chat_id)}/cells/{_path(cell_id, 'cell_id')}",
            timeout=_timeout(timeout),
            **options,
        )
        return decode_response(response, _cell)

    async def cancel(
        self,
        chat_id: str,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> bool:
        """Stop a running answer; ``True`` if something was cancelled.

        ``await client.chats.cancel(chat_id)``
        """
        response = await self._transport.request(
            "POST",
            f"/v2/chats/{_path(chat_id)}/cancel",
            timeout=_timeout(timeout),
            idempotent=True,
            **options,
        )
        return decode_response(response, cancelled_decoder.decode).cancelled


def _chat_body(
    question: str,
    chat_id: str | None,
    model: str | None,
    connector_ids: Sequence[int] | None,
    tools: Tools | None,
    files: Sequence[FileInput] | None,
    stack: ExitStack,
) -> tuple[dict[str, Any] | None, aiohttp.FormData | None]:
    """The JSON body, or the multipart form when files are sent. Checks arguments first."""
    require_text("question", question)
    if model is not None and chat_id is not None:
        raise ValueError("model can only be chosen for a new chat: pass model or chat_id, not both")
    ids = [_connector_id(c) for c in connector_ids] if connector_ids is not None else None
    if isinstance(files, (str, bytes, os.PathLike)) or hasattr(files, "read"):
        raise TypeError("files must be a list of files (paths, (name, bytes) pairs or file objects)")
    if files:
        if tools is not None:
            raise ValueError("tools cannot be sent with files (the multipart form has no tools)")
        fields = [("question", question)]
        if chat_id is not None:
            fields.append(("chat_id", chat_id))
        if model is not None:
            fields.append(("model", model))
        fields += [("connector_ids", str(i)) for i in ids or ()]
        form = build_form(fields, files, field_name="files", stack=stack, max_files=_MAX_FILES)
        return None, form
    body: dict[str, Any] = {"question": question}
    if chat_id is not None:
        body["chat_id"] = chat_id
    if model is not None:
        body["model"] = model
    if ids is not None:
        body["connector_ids"] = ids
    if tools is not None:
        body["tools"] = msgspec.to_builtins(tools)
    return body, None


def _connector_id(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("connector ids must be ints")
    return value


def _path(value: str, name: str = "chat_id") -> str:
    return quote(require_text(name, value), safe="")


def _timeout(value: Timeout | float | None) -> Timeout | None:
    return as_timeout(value) if value is not None else None
