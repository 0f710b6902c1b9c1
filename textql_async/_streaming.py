"""AnaStream: glues transport bytes to the sans-IO decoder and fold, as async iterators.

Data path: ``response.content.readany()`` -> :class:`SSEDecoder` -> :class:`AnaFold`
-> :class:`BlockUpdate` -> the caller's ``async for``. One chunk is decoded and folded at a
time; every public iterator (``__aiter__``, :meth:`AnaStream.snapshots`,
:meth:`AnaStream.text_deltas`, :meth:`AnaStream.completed_blocks`) draws from the same
state, so :attr:`AnaStream.snapshot` is always right whichever one was used.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Protocol

import aiohttp
import anyio

from textql_async._config import Timeout
from textql_async._exceptions import APITimeoutError, StreamError, TextQLError
from textql_async.models.ana import AnaResult, Block, TextBlock
from textql_async.sansio.chunked import AnaDecoder
from textql_async.sansio.fold import AnaFold, BlockUpdate, Snapshot
from textql_async.sansio.sse import DEFAULT_MAX_EVENT_SIZE

__all__ = ["AnaStream", "result_from_snapshot"]

_DRAIN_BYTES = 64 * 1024
_DRAIN_SECONDS = 1.0
_EVENT_STREAM = "text/event-stream"

Opener = Callable[[], Awaitable[aiohttp.ClientResponse]]


class StreamRegistry(Protocol):
    """Where open streams are tracked, so closing the client can end them."""

    def track(self, stream: AnaStream) -> None: ...

    def untrack(self, stream: AnaStream) -> None: ...


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


class AnaStream:
    """One live Ana answer. Use it as ``async with client.ana.stream(q) as stream:``.

    Iterate it for every :class:`BlockUpdate`, or use one of the views:
    :meth:`snapshots`, :meth:`text_deltas`, :meth:`completed_blocks`, or
    ``await`` :meth:`final` for the finished :class:`AnaResult`. Leaving the
    ``async with`` early (``break``, an exception, cancellation) closes the
    HTTP response at once.
    """

    def __init__(
        self,
        opener: Opener,
        *,
        timeout: Timeout,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        coalesce: bool = False,
        registry: StreamRegistry | None = None,
    ) -> None:
        self._opener = opener
        self._timeout = timeout
        self._fold = AnaFold()
        self._decoder = AnaDecoder(self._fold, max_event_size)
        self._coalesce = coalesce
        self._registry = registry
        self._response: aiohttp.ClientResponse | None = None
        self._opening = False
        self._entered = False
        self._finished = False  # no more updates will come (done, failed or closed)
        self._closed = False
        self._closed_by_client = False
        self._error: BaseException | None = None
        self._start = 0.0
        self._idle_deadline = math.inf
        self._total_deadline = math.inf

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("done" if self._fold.done else "open")
        return f"<AnaStream chat_id={self._fold.chat_id!r} blocks={self._fold.block_count} {state}>"

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> AnaStream:
        self._entered = True
        await self._ensure_open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP response (the connection is dropped if the body was not finished)."""
        self._closed = True
        self._finished = True
        self._close_response(release=False)

    def close(self) -> None:
        """Synchronous :meth:`aclose`: safe to call from another task or a callback."""
        self._closed = True
        self._finished = True
        self._close_response(release=False)

    def close_by_client(self) -> None:
        """End the stream because its client closed: later reads raise a clear StreamError."""
        if not self._finished:
            self._closed_by_client = True
        self.close()

    def remaining_time(self) -> float | None:
        """Seconds left of the total timeout (``None`` without one)."""
        if self._total_deadline == math.inf:
            return None
        return max(0.0, self._total_deadline - anyio.current_time())

    @property
    def response_headers(self) -> dict[str, str]:
        """Headers of the HTTP response (empty before the stream opened)."""
        return dict(self._response.headers) if self._response is not None else {}

    async def _ensure_open(self) -> None:
        if self._response is not None or self._finished:
            return
        if self._opening:
            raise RuntimeError("the stream is being opened by another task")
        self._opening = True
        try:
            now = anyio.current_time()
            self._start = now
            if self._timeout.total is not None:
                self._total_deadline = now + self._timeout.total
            idle = self._timeout.idle
            idle_deadline = now + idle if idle is not None else math.inf
            with anyio.CancelScope(deadline=min(self._total_deadline, idle_deadline)) as scope:
                response = await self._opener()
            if scope.cancelled_caught:
                which = "idle" if idle_deadline <= self._total_deadline else "total"
                raise APITimeoutError(
                    f"the Ana stream sent no response within the {which} timeout",
                    snapshot=self.snapshot,
                )
            if self._closed:
                response.close()
                raise StreamError("the stream was closed while it was opening")
            self._response = response
            if self._registry is not None:
                self._registry.track(self)
            self._reset_idle()
        finally:
            self._opening = False

    def _close_response(self, *, release: bool) -> None:
        response = self._response
        if response is None:
            return
        if release:
            response.release()
        else:
            response.close()
        if self._registry is not None:
            self._registry.untrack(self)

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

    # -- reading -----------------------------------------------------------------------------

    def _reset_idle(self) -> None:
        idle = self._timeout.idle
        self._idle_deadline = anyio.current_time() + idle if idle is not None else math.inf

    async def _read_chunk(self) -> bytes:
        response = self._response
        assert response is not None
        deadline = min(self._idle_deadline, self._total_deadline)
        try:
            if deadline == math.inf:
                return await response.content.readany()
            with anyio.CancelScope(deadline=deadline):
                return await response.content.readany()
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            if self._closed:
                raise self._closed_error() from exc
            raise StreamError(
                f"the connection broke mid-stream ({type(exc).__name__}: {exc})",
                snapshot=self.snapshot,
                recoverable=True,
            ) from exc
        # reached only when the cancel scope's deadline fired and swallowed its cancellation
        if self._idle_deadline <= self._total_deadline:
            error = APITimeoutError(
                f"no Ana event for {self._timeout.idle} s (the idle timeout)",
                snapshot=self.snapshot,
            )
            error.recoverable = True
            raise error
        raise APITimeoutError(
            f"the Ana stream exceeded the total timeout of {self._timeout.total} s",
            snapshot=self.snapshot,
        )

    async def _next_updates(self, coalesce: bool) -> list[BlockUpdate] | None:
        """Read until at least one block update (or the end); ``None`` once finished.

        With ``coalesce`` only the newest version of each block buffered in a
        chunk is decoded: the consumer sees fewer, later versions, never less state.
        """
        if self._finished:
            if self._error is not None:
                raise self._error
            if not self._fold.done:
                raise self._closed_error()
            return None
        await self._ensure_open()
        fold = self._fold
        decoder = self._decoder
        try:
            while True:
                chunk = await self._read_chunk()
                if not chunk:
                    self._end_of_body()
                    return None
                seen = fold.events
                updates = decoder.feed(chunk, coalesce=coalesce)
                if fold.events != seen:
                    self._reset_idle()  # an event arrived; keep-alive comments do not count
                if fold.done:
                    await self._finish_done()
                    return updates or None
                if updates:
                    return updates
        except BaseException as exc:
            self._fail(exc)
            raise

    def _fail(self, exc: BaseException) -> None:
        if isinstance(exc, (StreamError, APITimeoutError)) and exc.snapshot is None:
            exc.snapshot = self.snapshot  # e.g. EventTooLargeError from the sans-IO decoder
        self._finished = True
        if self._error is None:
            if isinstance(exc, TextQLError):
                self._error = exc
            else:
                self._error = StreamError(
                    f"the stream was interrupted ({type(exc).__name__})", snapshot=self.snapshot
                )
        self._close_response(release=False)

    def _end_of_body(self) -> None:
        self._decoder.close()
        self._finished = True
        if self._fold.done:
            self._close_response(release=True)
            return
        if self._closed:
            raise self._closed_error()
        if self._fold.block_count == 0 and self._fold.chat_id is None:
            message = "the server ended the stream without sending any Ana event"
        else:
            message = "the Ana stream ended before its done message"
        raise StreamError(message, snapshot=self.snapshot, recoverable=True)

    def _closed_error(self) -> StreamError:
        if self._closed_by_client:
            text = "the client was closed while this Ana stream was open"
        else:
            text = "the stream was closed before Ana finished"
        return StreamError(text, snapshot=self.snapshot)

    async def _finish_done(self) -> None:
        """After ``done``: read what is left (bounded) so the connection can be reused."""
        self._finished = True
        response = self._response
        if response is None:
            return
        reusable = False
        with anyio.move_on_after(_DRAIN_SECONDS):
            try:
                rest = await response.content.read(_DRAIN_BYTES)
                while rest and len(rest) < _DRAIN_BYTES:
                    more = await response.content.read(_DRAIN_BYTES)
                    if not more:
                        break
                    rest += more
                reusable = response.content.at_eof()
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
                reusable = False
        self._close_response(release=reusable)

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

    async def text_deltas(self) -> AsyncIterator[str]:
        """The text Ana adds, as it arrives: new TextBlocks whole, grown ones as suffixes.

        A TextBlock rewritten so that it no longer extends its previous version
        yields its whole new contents; use :meth:`snapshots` when exact state matters.
        """
        seen: dict[int, str] = {}
        async for update in self._iter_updates(True):
            block = update.block
            if not isinstance(block, TextBlock):
                continue
            previous = seen.get(update.index, "")
            text = block.contents
            seen[update.index] = text
            if text.startswith(previous):
                delta = text[len(previous) :]
            else:
                delta = text
            if delta:
                yield delta

    async def completed_blocks(self) -> AsyncIterator[Block]:
        """Each block once it is complete: when a different block id arrives, or the stream ends."""
        current: int | None = None
        async for update in self._iter_updates(True):
            if current is not None and update.index != current:
                yield self._fold.block_at(current)
            current = update.index
        if current is not None:
            yield self._fold.block_at(current)

    async def final(self) -> AnaResult:
        """Read the stream to its end and return the finished :class:`AnaResult`."""
        while await self._next_updates(True) is not None:
            pass
        return result_from_snapshot(self._fold.snapshot)

    async def until_done(self) -> Snapshot:
        """Read to the end and return the final snapshot."""
        await self.final()
        return self._fold.snapshot
