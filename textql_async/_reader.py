"""One streaming HTTP response, read chunk by chunk under idle and total deadlines.

Shared by every event stream of the SDK (Ana's ``/api/ana``, the v2 chat stream):
opening with retries, the idle deadline that only events (not keep-alive
comments) reset, the total deadline, mapping aiohttp's errors, draining after
the last event so the connection returns to the pool, and closing at once.
Errors raised here carry no snapshot; the stream that owns the reader adds its own.
"""

from __future__ import annotations

import asyncio
import math
import weakref
from collections.abc import Awaitable, Callable
from typing import Protocol

import aiohttp
import anyio

from textql_async._config import Timeout
from textql_async._exceptions import APITimeoutError, StreamError

__all__ = ["Opener", "ResponseReader", "StreamRegistry"]

_DRAIN_BYTES = 64 * 1024
_DRAIN_SECONDS = 1.0

Opener = Callable[[], Awaitable[aiohttp.ClientResponse]]


class _DeadlinePassed(Exception):
    """Raised into a pending read by the deadline timer."""


class _Stream(Protocol):
    def close_by_client(self) -> None: ...

    def _fail(self, exc: BaseException) -> None: ...


class StreamRegistry(Protocol):
    """Where open streams are tracked, so closing the client can end them."""

    def track(self, stream: _Stream) -> None: ...

    def untrack(self, stream: _Stream) -> None: ...


class ResponseReader:
    """Reads one event-stream response for the stream object that owns it."""

    __slots__ = (
        "_idle_deadline",
        "_loop",
        "_opener",
        "_opening",
        "_owner",
        "_reading",
        "_registry",
        "_response",
        "_timeout",
        "_timer",
        "_total_deadline",
        "closed",
        "closed_by_client",
        "size",
        "what",
    )

    def __init__(
        self,
        opener: Opener,
        timeout: Timeout,
        *,
        what: str,
        owner: _Stream,
        registry: StreamRegistry | None = None,
    ) -> None:
        self._opener = opener
        self._timeout = timeout
        self.what = what  # "the Ana stream", "the chat stream": for messages
        # weak: the owner holds this reader, and a cycle would leave every finished stream
        # (response, fold, blocks) to the garbage collector instead of freeing it at once
        self._owner = weakref.ref(owner)
        self._registry = registry
        self._response: aiohttp.ClientResponse | None = None
        self._opening = False
        self.closed = False
        self.closed_by_client = False
        self._idle_deadline = math.inf
        self._total_deadline = math.inf
        self._timer: asyncio.TimerHandle | None = None
        self._reading = False
        self._loop: asyncio.AbstractEventLoop | None = None  # set by open(): the clock
        self.size = 0  # body bytes read, for telemetry

    @property
    def opened(self) -> bool:
        """Whether the response arrived."""
        return self._response is not None

    @property
    def headers(self) -> dict[str, str]:
        """The response headers (empty before the stream opened)."""
        return dict(self._response.headers) if self._response is not None else {}

    @property
    def status(self) -> int | None:
        """The response status (``None`` before the stream opened)."""
        return self._response.status if self._response is not None else None

    @property
    def request_id(self) -> str | None:
        """The response's ``X-Request-Id`` (``None`` before the stream opened)."""
        if self._response is None:
            return None
        return self._response.headers.get("x-request-id")

    def remaining_time(self) -> float | None:
        """Seconds left of the total timeout (``None`` without one)."""
        if self._total_deadline == math.inf:
            return None
        return max(0.0, self._total_deadline - self._now())

    def _now(self) -> float:
        """The event loop's clock (what anyio's ``current_time`` reads on asyncio)."""
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        return loop.time()

    async def open(self) -> None:
        """Send the request (with the transport's retries) under the idle and total deadlines.

        A failure is also reported to the owner (its ``_fail``): the owner awaits this
        coroutine directly, not through one of its own.
        """
        try:
            if self._response is not None:
                return
            if self.closed:
                raise self.closed_error()
            if self._opening:
                raise RuntimeError(f"{self.what} is being opened by another task")
            self._opening = True
            try:
                self._loop = asyncio.get_running_loop()
                # each attempt's wait for headers is bounded by the idle timeout in the
                # transport; the whole opening (retries and backoff) by the total timeout
                if self._timeout.total is None:
                    response = await self._opener()  # no scope to set up: nothing to bound
                else:
                    self._total_deadline = self._now() + self._timeout.total
                    with anyio.CancelScope(deadline=self._total_deadline) as scope:
                        response = await self._opener()
                    if scope.cancelled_caught:
                        raise APITimeoutError(
                            f"{self.what} sent no response within the total timeout"
                        )
                if self.closed:
                    response.close()
                    raise self.closed_error()
                self._response = response
                owner = self._owner()
                if self._registry is not None and owner is not None:
                    self._registry.track(owner)
                self.event_arrived()
            finally:
                self._opening = False
        except BaseException as exc:
            failed = self._owner()
            if failed is not None:
                failed._fail(exc)
            raise

    def event_arrived(self) -> None:
        """Restart the idle deadline: an event (not a keep-alive comment) arrived.

        Only a number changes here: the deadline timer notices the move when it fires.
        """
        idle = self._timeout.idle
        self._idle_deadline = self._now() + idle if idle is not None else math.inf

    def read_buffered(self) -> bytes | None:
        """The bytes that already arrived (``b""`` at the end of the body), or ``None``
        when a read must wait: then ``await`` :meth:`read`.

        Bytes that already arrived count even past a deadline (a slow consumer); taking
        them costs no clock read, no timer and no coroutine.
        """
        response = self._response
        assert response is not None
        content = response.content
        try:
            buffered = content.read_nowait()
            if buffered or content.at_eof():
                self.size += len(buffered)
                return buffered
        except _DeadlinePassed:  # stored by the timer: read() turns it into the timeout
            pass
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise self._broken(exc) from exc
        return None

    async def read(self) -> bytes:
        """The next chunk of the body; ``b""`` at its end.

        The idle and total deadlines are enforced by one timer per stream rather than a
        cancel scope per read: at tens of reads per answer and thousands of concurrent
        answers, a scope per read was a measurable share of the CPU. The timer is armed
        only when a read must wait (see :meth:`read_buffered`).
        """
        buffered = self.read_buffered()
        if buffered is not None:
            return buffered
        return await self.read_waiting()

    async def read_waiting(self) -> bytes:
        """:meth:`read` once :meth:`read_buffered` said ``None``: wait under the deadlines."""
        response = self._response
        assert response is not None
        try:
            if self._now() >= min(self._idle_deadline, self._total_deadline):
                raise _DeadlinePassed
            self._arm_timer()
            self._reading = True
            try:
                chunk = await response.content.readany()
            finally:
                self._reading = False
            self.size += len(chunk)
            return chunk
        except _DeadlinePassed:
            pass
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise self._broken(exc) from exc
        self.close()
        if self._idle_deadline <= self._total_deadline:
            error = APITimeoutError(f"no event for {self._timeout.idle} s (the idle timeout)")
            error.recoverable = True
            raise error
        raise APITimeoutError(f"{self.what} exceeded the total timeout of {self._timeout.total} s")

    def _broken(self, exc: BaseException) -> StreamError:
        """The error for a failed read: the connection broke, or the stream was closed."""
        if self.closed:
            return self.closed_error()
        return StreamError(
            f"the connection broke mid-stream ({type(exc).__name__}: {exc})", recoverable=True
        )

    def _arm_timer(self) -> None:
        deadline = min(self._idle_deadline, self._total_deadline)
        if self._timer is None and deadline != math.inf:
            loop = self._loop or asyncio.get_running_loop()
            self._timer = loop.call_at(deadline, self._deadline_check)

    def _deadline_check(self) -> None:
        """The timer fired: re-arm for a deadline that moved, or end the pending read."""
        self._timer = None
        response = self._response
        if response is None or self.closed:
            return
        deadline = min(self._idle_deadline, self._total_deadline)
        loop = asyncio.get_running_loop()
        if loop.time() < deadline:
            self._timer = loop.call_at(deadline, self._deadline_check)
        elif self._reading:
            response.content.set_exception(_DeadlinePassed())

    def closed_error(self) -> StreamError:
        """The error of a read after :meth:`close` (by the user, or by closing the client)."""
        if self.closed_by_client:
            return StreamError(f"the client was closed while {self.what} was open")
        return StreamError(f"{self.what} was closed before it finished")

    def finish_buffered(self) -> int | None:
        """After the last event, the common case of :meth:`finish` without a coroutine: the
        rest of the body (often nothing) already arrived, or too much is left (the
        connection is dropped). ``None`` when done; else the bytes drained so far, and
        :meth:`finish` must wait for the rest."""
        response = self._response
        if response is None:
            return None
        content = response.content
        size = 0
        try:
            while not content.at_eof():
                rest = content.read_nowait()
                size += len(rest)
                if not rest or size > _DRAIN_BYTES:
                    break
            else:
                self.close(release=True)
                return None
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
            self.close()
            return None
        if size > _DRAIN_BYTES:
            self.close()  # too much left to read: drop the connection instead
            return None
        return size

    async def finish(self) -> None:
        """After the last event: read what is left (bounded) so the connection can be reused."""
        drained = self.finish_buffered()
        if drained is not None:
            await self.finish_waiting(drained)

    async def finish_waiting(self, size: int) -> None:
        """:meth:`finish` once :meth:`finish_buffered` drained ``size`` bytes: wait (bounded)
        for the rest of the body."""
        response = self._response
        if response is None:
            return
        reusable = False
        with anyio.move_on_after(_DRAIN_SECONDS):
            try:
                while size <= _DRAIN_BYTES:
                    rest = await response.content.read(_DRAIN_BYTES)
                    if not rest:
                        break
                    size += len(rest)
                reusable = response.content.at_eof()
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
                reusable = False
        self.close(release=reusable)

    def close(self, *, release: bool = False) -> None:
        """Release (body finished) or close (drop the connection) the response; idempotent."""
        if not release:
            self.closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        response = self._response
        if response is None:
            return
        if release:
            response.release()
        else:
            response.close()
        owner = self._owner()
        if self._registry is not None and owner is not None:
            self._registry.untrack(owner)
