"""What every event stream of the SDK shares on top of its :class:`ResponseReader`.

Closing (by the user, another task, or the client), the telemetry call a stream reports
to, and failing with the state received so far; the Ana stream and the v2 chat stream
add their decoding and their views.
"""

from __future__ import annotations

import contextvars
from collections.abc import Coroutine
from types import TracebackType
from typing import Any

from textql_async._config import Timeout
from textql_async._exceptions import APITimeoutError, StreamError, TextQLError
from textql_async._otel import Call, Telemetry, begin, current
from textql_async._reader import Opener, ResponseReader, StreamRegistry

__all__ = ["ReaderStream"]


async def _nothing() -> None:
    """What opening a stream that already finished awaits."""


class ReaderStream:
    """What every event stream of the SDK shares: one :class:`ResponseReader`, closing
    (by the user, another task, or the client), and failing with the state received so far.

    A stream adds its decoding and its views; :meth:`_attach` puts its state on an error.
    """

    # slots: fewer objects per stream for the garbage collector, at thousands of streams
    __slots__ = (
        "__weakref__",
        "_call",
        "_entered",
        "_error",
        "_finished",
        "_operation",
        "_owns_call",
        "_reader",
        "_telemetry",
    )

    def __init__(
        self,
        opener: Opener,
        timeout: Timeout,
        *,
        what: str,
        registry: StreamRegistry | None,
        telemetry: Telemetry | None = None,
        operation: str = "",
    ) -> None:
        self._reader = ResponseReader(opener, timeout, what=what, owner=self, registry=registry)
        self._entered = False
        self._finished = False  # nothing more will come (done, failed or closed)
        self._error: BaseException | None = None
        self._telemetry = telemetry
        self._operation = operation
        # the API call this stream reports to: the enclosing one (``ana.ask``) or its own
        self._call: Call | None = None
        self._owns_call = False

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP response (the connection is dropped if the body was not finished)."""
        self.close()

    def close(self) -> None:
        """Synchronous :meth:`aclose`: safe to call from another task or a callback."""
        self._finished = True
        self._reader.close()
        self._report()

    def close_by_client(self) -> None:
        """End the stream because its client closed: later reads raise a clear StreamError."""
        if not self._finished:
            self._reader.closed_by_client = True
        self.close()

    def remaining_time(self) -> float | None:
        """Seconds left of the total timeout (``None`` without one)."""
        return self._reader.remaining_time()

    @property
    def response_headers(self) -> dict[str, str]:
        """Headers of the HTTP response (empty before the stream opened)."""
        return self._reader.headers

    @property
    def status_code(self) -> int | None:
        """The HTTP status of the response (``None`` before the stream opened)."""
        return self._reader.status

    @property
    def request_id(self) -> str | None:
        """The response's ``X-Request-Id`` (``None`` before the stream opened)."""
        return self._reader.request_id

    # -- telemetry ---------------------------------------------------------------------------

    def _stats(self) -> tuple[int, int, str | None, list[str]]:
        """Events, blocks, chat id and ErrorBlock contents so far (each stream knows its own)."""
        return 0, 0, None, []

    def _report(self) -> None:
        """Once, when the stream ends: its counters to its call (and end the call it owns)."""
        call = self._call
        if call is None:
            return
        self._call = None
        if call.active:
            events, blocks, chat_id, errors = self._stats()
            call.stream_ended(
                events=events,
                blocks=blocks,
                size=self._reader.size,
                chat_id=chat_id,
                error_blocks=errors,
            )
        if self._owns_call:
            call.end(error=self._error)

    def _attach(self, exc: StreamError | APITimeoutError) -> None:
        """Put this stream's state so far on ``exc`` (each stream knows its own)."""
        raise NotImplementedError

    def _with_state(self, exc: StreamError) -> StreamError:
        """``exc`` with this stream's state attached, ready to raise."""
        self._attach(exc)
        return exc

    def _open(self) -> Coroutine[Any, Any, None]:
        """Open the response: the reader's own coroutine, awaited directly (one frame less
        at each wait for the headers); the reader reports a failure to :meth:`_fail`."""
        if self._finished:
            return _nothing()
        token = None
        if self._call is None and not self._reader.opened:
            enclosing = current.get()
            if enclosing is not None and not enclosing.has_stream:
                self._call = enclosing  # ``ana.ask`` reading its stream
            elif self._telemetry is not None and not self._telemetry.idle():
                # a call of its own only when something records it (no Call, no context
                # variable to set per stream otherwise)
                self._call = begin(self._telemetry, self._operation)
                self._owns_call = True
                token = current.set(self._call)
            if self._call is not None:
                self._call.has_stream = True
        if token is None:
            return self._reader.open()
        return self._open_in_call(token)

    async def _open_in_call(self, token: contextvars.Token[Call | None]) -> None:
        """Open while the stream's own call is the current one (reset after)."""
        try:
            await self._reader.open()
        finally:
            current.reset(token)

    def _fail(self, exc: BaseException) -> None:
        """Remember the first failure (with the state attached) and drop the connection."""
        if isinstance(exc, (StreamError, APITimeoutError)):
            self._attach(exc)
        self._finished = True
        if self._error is None:
            if isinstance(exc, TextQLError):
                self._error = exc
            else:
                self._error = self._with_state(
                    StreamError(f"{self._reader.what} was interrupted ({type(exc).__name__})")
                )
        self._reader.close()
        self._report()
