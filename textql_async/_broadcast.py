"""Fan-out: many subscribers share one upstream Ana stream.

A relay that shows one answer in several browser tabs should ask Ana once. The
:class:`Broadcaster` pumps the upstream's snapshots to every subscriber through
a bounded anyio memory object stream each. Snapshots are whole states, so a
subscriber that falls behind loses nothing by skipping: when its buffer is full
the oldest queued snapshot is dropped for the newest, and a slow tab never
blocks the others or grows memory. A late subscriber first receives the
current snapshot. The upstream is closed when the last subscriber leaves.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import TracebackType
from typing import TYPE_CHECKING

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from textql_async._exceptions import StreamError
from textql_async.sansio.fold import Snapshot

if TYPE_CHECKING:
    from textql_async._streaming import AnaStream

__all__ = ["Broadcaster", "Subscription"]


class Subscription:
    """One subscriber's view: ``async for snapshot in subscription``; leave with ``async with``."""

    def __init__(self, broadcaster: Broadcaster, buffer: int) -> None:
        self._broadcaster = broadcaster
        send, receive = anyio.create_memory_object_stream[Snapshot](buffer)
        self._send: MemoryObjectSendStream[Snapshot] = send
        self._receive: MemoryObjectReceiveStream[Snapshot] = receive
        #: how many snapshots were skipped because this subscriber fell behind
        self.skipped = 0
        self._closed = False
        self._last: Snapshot | None = None

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Leave; the upstream closes when the last subscriber has left."""
        if self._closed:
            return
        self._closed = True
        self._send.close()
        self._receive.close()
        await self._broadcaster._leave(self)

    def _offer(self, snapshot: Snapshot) -> None:
        """Queue without blocking; when full, drop the oldest snapshot for this newer one."""
        if self._closed or snapshot is self._last:
            return
        self._last = snapshot
        try:
            self._send.send_nowait(snapshot)
        except anyio.WouldBlock:
            try:
                self._receive.receive_nowait()
                self.skipped += 1
            except anyio.WouldBlock:  # pragma: no cover - the consumer just took one
                pass
            self._send.send_nowait(snapshot)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            pass

    def _end(self) -> None:
        """No more snapshots: the subscriber reads what is queued, then the end (or the error).

        Closing the send side, rather than queueing an end marker, means the end can
        never push the final snapshot out of a full buffer.
        """
        self._send.close()

    def __aiter__(self) -> AsyncIterator[Snapshot]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Snapshot]:
        while True:
            try:
                item = await self._receive.receive()
            except anyio.EndOfStream:  # the upstream ended: done, or failed
                break
            except anyio.ClosedResourceError:  # this subscriber left
                return
            yield item
        error = self._broadcaster.error
        if error is not None and not self._closed:
            raise error


class Broadcaster:
    """Shares one :class:`AnaStream` among subscribers (use ``stream.broadcast()``)."""

    def __init__(self, stream: AnaStream, *, buffer: int = 8) -> None:
        if buffer < 1:
            raise ValueError("buffer must be at least 1")
        self._stream = stream
        self._buffer = buffer
        self._subscribers: set[Subscription] = set()
        self._pump: asyncio.Task[None] | None = None
        self._finished = False
        #: the upstream's error, re-raised to every subscriber, if it failed
        self.error: BaseException | None = None

    @property
    def snapshot(self) -> Snapshot:
        """The upstream answer so far."""
        return self._stream.snapshot

    @property
    def finished(self) -> bool:
        """Whether the upstream has ended (done, failed, or closed because everyone left)."""
        return self._finished

    @property
    def subscriber_count(self) -> int:
        """How many subscribers are listening."""
        return len(self._subscribers)

    def subscribe(self) -> Subscription:
        """A new subscriber; it first receives the current snapshot, then live ones."""
        subscription = Subscription(self, self._buffer)
        self._subscribers.add(subscription)
        current = self._stream.snapshot
        if current.blocks or current.chat_id is not None or current.done:
            subscription._offer(current)
        if self._finished:
            subscription._end()
        elif self._pump is None:
            self._pump = asyncio.ensure_future(self._run())
        return subscription

    async def _run(self) -> None:
        last: Snapshot | None = None
        try:
            async for snapshot in self._stream.snapshots():
                if snapshot is last:  # one chunk can yield the same state several times
                    continue
                last = snapshot
                for subscription in list(self._subscribers):
                    subscription._offer(snapshot)
        except Exception as exc:
            self.error = exc
        finally:
            self._finished = True
            for subscription in list(self._subscribers):
                subscription._end()

    async def _leave(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)
        if self._subscribers:
            return
        pump, self._pump = self._pump, None
        if pump is not None and not pump.done():
            pump.cancel()
            with anyio.CancelScope(shield=True):
                await asyncio.gather(pump, return_exceptions=True)
        await self._stream.aclose()
        if self.error is None and not self._stream.snapshot.done:
            # a subscriber arriving now gets what arrived, then this error
            self.error = StreamError(
                "the broadcast ended early: every subscriber left", snapshot=self._stream.snapshot
            )
