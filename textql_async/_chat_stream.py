"""ChatStream: the typed v2 chat stream (``POST /v2/chats/stream``) as async iterators.

Each event's ``data`` is one JSON object whose ``type`` says what it is (metadata,
text, cell, asset, done). The snapshot keeps cells in order with replace-by-id
(a cell is sent when it starts and again when it finishes), the same rule as Ana's blocks.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
import msgspec

from textql_async._config import Timeout
from textql_async._exceptions import (
    APITimeoutError,
    ChatFailedError,
    EventTooLargeError,
    StreamError,
    TextQLError,
)
from textql_async._otel import Telemetry
from textql_async._raw import set_request_id
from textql_async._reader import Opener, StreamRegistry
from textql_async._reader_stream import ReaderStream
from textql_async.models.v2_chats import (
    Asset,
    AssetEvent,
    CellEvent,
    ChatCell,
    ChatEvent,
    ChatResult,
    ChatSnapshot,
    Done,
    Metadata,
    TextDelta,
    decode_chat_event,
    result_from_chat_snapshot,
)
from textql_async.sansio.slots import OrderedSlots
from textql_async.sansio.sse import DEFAULT_MAX_EVENT_SIZE, ServerSentEvent, SSEDecoder

__all__ = ["ChatStream"]

Canceller = Callable[[str], Awaitable[bool]]
_CANCEL_SECONDS = 5.0


class ChatStream(ReaderStream):
    """One streamed v2 chat answer: ``async with client.chats.stream(q) as stream:``.

    Iterate it for typed events (:class:`Metadata`, :class:`TextDelta`,
    :class:`CellEvent`, :class:`AssetEvent`, :class:`Done`, :class:`UnknownEvent`);
    :attr:`snapshot` is the answer so far; ``await`` :meth:`final` for the
    :class:`ChatResult`. With ``cancel_on_exit``, leaving early also asks the
    server to stop (``POST /v2/chats/{id}/cancel``).
    """

    def __init__(
        self,
        opener: Opener,
        *,
        timeout: Timeout,
        registry: StreamRegistry | None = None,
        cancel: Canceller | None = None,
        cancel_on_exit: bool = False,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        telemetry: Telemetry | None = None,
    ) -> None:
        super().__init__(
            opener,
            timeout,
            what="the chat stream",
            registry=registry,
            telemetry=telemetry,
            operation="chats.stream",
        )
        self._events = 0
        self._sse = SSEDecoder(max_event_size)
        self._cancel = cancel
        self._cancel_on_exit = cancel_on_exit
        self._metadata: Metadata | None = None
        self._text: list[str] = []
        self._cells: OrderedSlots[ChatCell] = OrderedSlots()
        self._assets: list[Asset] = []
        self._done: Done | None = None
        # events decoded from the body but not yet handed out: the snapshot reflects only
        # what the consumer has seen, so it is right after every event of a chunk
        self._pending: deque[ChatEvent] = deque()
        self._pending_error: TextQLError | None = None
        self._done_seen = False  # the done event was read (it may still be pending)

    def __repr__(self) -> str:
        return f"<ChatStream chat_id={self.chat_id!r} cells={len(self._cells)} done={self._done is not None}>"

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> ChatStream:
        self._entered = True
        await self._open()
        return self

    async def aclose(self) -> None:
        """Close the response; with ``cancel_on_exit``, ask the server to stop an unfinished answer."""
        unfinished = not self._done_seen and self._reader.opened
        self.close()
        chat_id = self.chat_id
        if unfinished and self._cancel_on_exit and self._cancel is not None and chat_id:
            with anyio.CancelScope(shield=True), anyio.move_on_after(_CANCEL_SECONDS):
                try:
                    await self._cancel(chat_id)
                except TextQLError:
                    pass  # best effort: the stream is closed either way

    # -- state -------------------------------------------------------------------------------

    @property
    def chat_id(self) -> str | None:
        """The chat id, once the metadata event arrived."""
        return self._metadata.chat_id if self._metadata else None

    @property
    def snapshot(self) -> ChatSnapshot:
        """The answer so far: metadata, text, cells in order (newest version each), assets."""
        return ChatSnapshot(
            metadata=self._metadata,
            text="".join(self._text),
            cells=tuple(self._cells.items),
            assets=tuple(self._assets),
            done=self._done,
        )

    def _apply(self, event: ChatEvent) -> None:
        if isinstance(event, TextDelta):
            self._text.append(event.text)
        elif isinstance(event, CellEvent):
            self._cells.put(event.cell.id, event.cell)
        elif isinstance(event, AssetEvent):
            self._assets.append(event.asset)
        elif isinstance(event, Metadata):
            self._metadata = event
        elif isinstance(event, Done):
            self._done = event

    # -- reading -----------------------------------------------------------------------------

    async def _next_event(self) -> ChatEvent | None:
        """The next event, applied to the snapshot as it is handed out; ``None`` at the end."""
        while True:
            if self._pending:
                event = self._pending.popleft()
                self._apply(event)
                return event
            if self._pending_error is not None:
                error, self._pending_error = self._pending_error, None
                self._fail(error)
                raise error
            if not await self._fill():
                return None

    async def _fill(self) -> bool:
        """Read until events (or an error after them) are pending; ``False`` at the end."""
        if self._finished:
            if self._error is not None:
                raise self._error
            if not self._done_seen:
                raise self._with_state(self._reader.closed_error())
            return False
        await self._open()
        reader = self._reader
        try:
            while True:
                chunk = await reader.read()
                if not chunk:
                    self._end_of_body()
                    return False
                try:
                    batch = self._sse.feed(chunk)
                except EventTooLargeError as exc:
                    batch, self._pending_error = exc.events, exc
                self._decode(batch)
                if self._pending:
                    reader.event_arrived()
                    if self._call is not None:
                        self._call.first_block()
                if self._done_seen:
                    self._pending_error = None  # the answer is complete: ignore what follows
                    self._finished = True
                    await reader.finish()
                elif self._pending_error is not None:
                    self._finished = True
                    reader.close()
                if self._pending or self._pending_error is not None or self._finished:
                    return True
        except BaseException as exc:
            self._fail(exc)
            raise

    def _decode(self, batch: list[ServerSentEvent]) -> None:
        for sse in batch:
            if not sse.data.strip():
                continue  # an empty data line (a heartbeat) carries no event
            try:
                event = decode_chat_event(sse.data)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                self._pending_error = StreamError(f"malformed chat event: {exc}", raw=sse.data)
                return
            self._pending.append(event)
            self._events += 1
            if isinstance(event, Done):
                self._done_seen = True
                return

    def _stats(self) -> tuple[int, int, str | None, list[str]]:
        return self._events, len(self._cells), self.chat_id, []

    def _attach(self, exc: StreamError | APITimeoutError) -> None:
        if exc.partial is None:
            exc.partial = self.snapshot

    def _end_of_body(self) -> None:
        self._sse.close()
        self._finished = True
        if self._done_seen:
            self._reader.close(release=True)
            return
        if self._reader.closed:
            raise self._with_state(self._reader.closed_error())
        raise self._with_state(
            StreamError("the chat stream ended before its done event", recoverable=True)
        )

    # -- public iterators --------------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[ChatEvent]:
        return self._iter_events()

    async def _iter_events(self) -> AsyncIterator[ChatEvent]:
        try:
            while (event := await self._next_event()) is not None:
                yield event
        finally:
            if not self._entered:
                self.close()  # iterated without ``async with``: nothing else would close it

    async def text_deltas(self) -> AsyncIterator[str]:
        """The answer's Markdown text, piece by piece."""
        async for event in self:
            if isinstance(event, TextDelta) and event.text:
                yield event.text

    async def snapshots(self) -> AsyncIterator[ChatSnapshot]:
        """A :class:`ChatSnapshot` after every event."""
        async for _ in self:
            yield self.snapshot

    async def final(self) -> ChatResult:
        """Read to the end; a ``failed`` answer raises :class:`ChatFailedError` with the partial result."""
        while await self._next_event() is not None:
            pass
        result = result_from_chat_snapshot(self.snapshot)
        set_request_id(result, self.request_id)
        if result.status == "failed":
            detail = f": {result.error}" if result.error else ""
            raise ChatFailedError(f"the chat failed{detail}", result=result, error=result.error)
        return result
