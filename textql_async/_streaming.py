"""AnaStream: glues transport bytes to the sans-IO decoder and fold, as async iterators.

Data path: ``response.content.readany()`` -> :class:`SSEDecoder` -> :class:`AnaFold`
-> :class:`BlockUpdate` -> the caller's ``async for``. One chunk is decoded and folded at a
time; every public iterator (``__aiter__``, :meth:`AnaStream.snapshots`,
:meth:`AnaStream.text_deltas`, :meth:`AnaStream.completed_blocks`) draws from the same
state, so :attr:`AnaStream.snapshot` is always right whichever one was used.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable

from textql_async._broadcast import Broadcaster
from textql_async._config import Timeout
from textql_async._exceptions import APITimeoutError, StreamError
from textql_async._otel import Telemetry
from textql_async._raw import set_request_id
from textql_async._reader import Opener, StreamRegistry
from textql_async._reader_stream import ReaderStream
from textql_async.models.ana import AnaResult, Block, TextBlock
from textql_async.sansio.chunked import AnaDecoder
from textql_async.sansio.fold import AnaFold, BlockUpdate, Snapshot
from textql_async.sansio.sse import DEFAULT_MAX_EVENT_SIZE

__all__ = ["TEXT_SEPARATOR", "AnaStream", "final_text", "result_from_snapshot"]

TEXT_SEPARATOR = "\n\n"
"""What :meth:`AnaStream.text_deltas` yields between two TextBlocks: a Markdown paragraph break."""


def final_text(blocks: Iterable[Block], *, separator: str = TEXT_SEPARATOR) -> str:
    """The contents of every non-empty TextBlock of ``blocks``, joined by ``separator``."""
    return separator.join(b.contents for b in blocks if isinstance(b, TextBlock) and b.contents)


def result_from_snapshot(snapshot: Snapshot, *, recovered: bool = False) -> AnaResult:
    """The :class:`AnaResult` a finished snapshot describes."""
    return AnaResult(
        chat_id=snapshot.chat_id,
        user_msg_id=snapshot.user_msg_id,
        assistant_msg_id=snapshot.assistant_msg_id,
        blocks=snapshot.blocks,
        answer=snapshot.answer,
        errors=snapshot.errors,
        recovered=recovered,
    )


class AnaStream(ReaderStream):
    """One live Ana answer. Use it as ``async with client.ana.stream(q) as stream:``.

    Iterate it for every :class:`BlockUpdate`, or use one of the views:
    :meth:`snapshots`, :meth:`text_deltas`, :meth:`completed_blocks`, or
    ``await`` :meth:`final` for the finished :class:`AnaResult`. Leaving the
    ``async with`` early (``break``, an exception, cancellation) closes the
    HTTP response at once.
    """

    __slots__ = ("_chat_id_callbacks", "_coalesce", "_decoder", "_fold")

    def __init__(
        self,
        opener: Opener,
        *,
        timeout: Timeout,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        coalesce: bool = False,
        registry: StreamRegistry | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        super().__init__(
            opener,
            timeout,
            what="the Ana stream",
            registry=registry,
            telemetry=telemetry,
            operation="ana.stream",
        )
        self._fold = AnaFold()
        self._decoder = AnaDecoder(self._fold, max_event_size)
        self._coalesce = coalesce
        self._chat_id_callbacks: list[Callable[[str], object]] | None = None

    def __repr__(self) -> str:
        state = "closed" if self._reader.closed else ("done" if self._fold.done else "open")
        return f"<AnaStream chat_id={self._fold.chat_id!r} blocks={self._fold.block_count} {state}>"

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> AnaStream:
        self._entered = True
        await self._open()
        return self

    # -- state -------------------------------------------------------------------------------

    @property
    def snapshot(self) -> Snapshot:
        """Every block received so far, newest version of each, in first-appearance order."""
        return self._fold.snapshot

    @property
    def chat_id(self) -> str | None:
        """The chat id, once Ana sent it (the first event)."""
        return self._fold.chat_id

    @property
    def done(self) -> bool:
        """Whether Ana's ``done`` message arrived."""
        return self._fold.done

    def on_chat_id(self, callback: Callable[[str], object]) -> None:
        """Call ``callback(chat_id)`` once, as soon as Ana sends the chat id (before any block).

        From then on the question exists server-side and its answer can be fetched
        from the chat history, so this is the moment to record that it was asked
        (the batch journal does). Called at once if the chat id already arrived.
        """
        chat_id = self._fold.chat_id
        if chat_id is not None:
            callback(chat_id)
            return
        if self._chat_id_callbacks is None:
            self._chat_id_callbacks = []
        self._chat_id_callbacks.append(callback)

    def _chat_id_arrived(self, chat_id: str) -> None:
        callbacks, self._chat_id_callbacks = self._chat_id_callbacks, None
        for callback in callbacks or ():
            callback(chat_id)

    # -- reading -----------------------------------------------------------------------------

    async def _next_updates(self, coalesce: bool) -> list[BlockUpdate] | None:
        """Read until at least one block update (or the end); ``None`` once finished.

        With ``coalesce`` only the newest version of each block buffered in a
        chunk is decoded: the consumer sees fewer, later versions, never less state.
        """
        if self._finished:
            if self._error is not None:
                raise self._error
            if not self._fold.done:
                raise self._with_state(self._reader.closed_error())
            return None
        if not self._reader.opened:  # no coroutine to await per read once open
            await self._open()
        fold = self._fold
        decoder = self._decoder
        reader = self._reader
        try:
            while True:
                chunk = reader.read_buffered()
                if chunk is None:
                    chunk = await reader.read_waiting()
                if not chunk:
                    self._end_of_body()
                    return None
                seen = fold.events
                failure = None
                try:
                    updates = decoder.feed(chunk, coalesce=coalesce)
                except StreamError as exc:
                    if not exc.updates:
                        raise
                    failure, updates = exc, exc.updates
                if fold.events != seen:
                    reader.event_arrived()  # keep-alive comments do not count
                    if self._chat_id_callbacks is not None and fold.chat_id is not None:
                        self._chat_id_arrived(fold.chat_id)
                if updates and self._call is not None:
                    self._call.first_block()
                if failure is not None:
                    # what the chunk completed before its bad event first; the next read raises
                    self._fail(failure)
                    return updates
                if fold.done:
                    self._finished = True
                    drained = reader.finish_buffered()
                    if drained is not None:
                        await reader.finish_waiting(drained)
                    return updates or None
                if updates:
                    return updates
        except BaseException as exc:
            self._fail(exc)
            raise

    def _stats(self) -> tuple[int, int, str | None, list[str]]:
        fold = self._fold
        errors = [e.contents for e in fold.snapshot.errors] if fold.block_count else []
        return fold.events, fold.block_count, fold.chat_id, errors

    def _attach(self, exc: StreamError | APITimeoutError) -> None:
        if exc.snapshot is None:
            exc.snapshot = self.snapshot

    def _end_of_body(self) -> None:
        self._decoder.close()
        self._finished = True
        if self._fold.done:
            self._reader.close(release=True)
            return
        if self._reader.closed:
            raise self._reader.closed_error()
        if self._fold.block_count == 0 and self._fold.chat_id is None:
            message = "the server ended the stream without sending any Ana event"
        else:
            message = "the Ana stream ended before its done message"
        raise StreamError(message, snapshot=self.snapshot, recoverable=True)

    # -- public iterators --------------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[BlockUpdate]:
        return self._iter_updates(self._coalesce)

    async def _iter_updates(self, coalesce: bool) -> AsyncIterator[BlockUpdate]:
        try:
            while True:
                updates = await self._next_updates(coalesce)
                if updates is None:
                    return
                for update in updates:
                    yield update
        finally:
            if not self._entered:
                self.close()

    async def snapshots(self) -> AsyncIterator[Snapshot]:
        """A :class:`Snapshot` after every block update, and a last one with ``done=True``."""
        last: Snapshot | None = None
        async for _ in self._iter_updates(True):
            last = self._fold.snapshot
            yield last
        final = self._fold.snapshot
        if final is not last:
            yield final

    async def text_deltas(self, *, separator: str = TEXT_SEPARATOR) -> AsyncIterator[str]:
        """The text Ana adds, as it arrives: new TextBlocks whole, grown ones as suffixes.

        Each TextBlock is its own paragraph: when the text moves to another block,
        ``separator`` (a Markdown paragraph break by default) is yielded first, so
        ``"".join(stream.text_deltas())`` equals :meth:`final_text` and consecutive
        blocks never run together. ``separator=""`` gives the bare pieces.

        A TextBlock rewritten so that it no longer extends its previous version
        yields its whole new contents; use :meth:`snapshots` when exact state matters.
        """
        seen: dict[int, str] = {}
        last: int | None = None  # the block the previous piece belonged to
        async for update in self._iter_updates(True):
            block = update.block
            if not isinstance(block, TextBlock):
                continue
            previous = seen.get(update.index, "")
            text = block.contents
            seen[update.index] = text
            delta = text[len(previous) :] if text.startswith(previous) else text
            if not delta:
                continue
            if last is not None and update.index != last and separator:
                yield separator
            last = update.index
            yield delta

    async def final_text(self, *, separator: str = TEXT_SEPARATOR) -> str:
        """Read to the end and return the text of every TextBlock, joined by ``separator``.

        ``print(await stream.final_text())``: the readable answer without the code and
        tool blocks (``final().answer`` is only the last TextBlock).
        """
        await self.final()
        return final_text(self._fold.snapshot.blocks, separator=separator)

    async def completed_blocks(self) -> AsyncIterator[Block]:
        """Each block once it is complete: when a different block id arrives, or the stream ends."""
        current: int | None = None
        async for update in self._iter_updates(True):
            if current is not None and update.index != current:
                yield self._fold.block_at(current)
            current = update.index
        if current is not None:
            yield self._fold.block_at(current)

    def broadcast(self, *, buffer: int = 8) -> Broadcaster:
        """Share this stream with many subscribers (browser tabs, websockets).

        ``sub = stream.broadcast().subscribe(); async for snapshot in sub: ...`` —
        each subscriber gets the current snapshot, then live ones; a slow one skips
        to the newest instead of blocking the rest; the last to leave closes this stream.
        """
        return Broadcaster(self, buffer=buffer)

    async def final(self) -> AnaResult:
        """Read the stream to its end and return the finished :class:`AnaResult`."""
        if not self._reader.opened:
            await self._open()  # from this frame: one level less at each wait for headers
        while await self._next_updates(True) is not None:
            if self._fold.done and self._error is None:
                break  # another read would only say so (one coroutine less per answer)
        result = result_from_snapshot(self._fold.snapshot)
        set_request_id(result, self.request_id)
        return result

    async def until_done(self) -> Snapshot:
        """Read to the end and return the final snapshot."""
        await self.final()
        return self._fold.snapshot
