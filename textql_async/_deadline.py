"""A deadline for one ``await`` on the running asyncio loop, without a cancel scope.

``anyio.fail_after`` sets up a cancel scope per use (a generator, the scope, task state,
sets and a timer): per request, at thousands of concurrent streams, that was about 20 us of
CPU and a dozen long-lived, GC-tracked objects per answer. :func:`deadline` does what the
transport needs for each attempt's wait for headers: it cancels the waiting task, and turns
that cancellation (only that one) into :class:`TimeoutError`, with the task's cancellation
count restored (``Task.uncancel``), as ``asyncio.timeout`` does. On Python 3.10 (no
``uncancel``) it is ``anyio.fail_after``.

Even one loop timer per request (a ``TimerHandle``, a heap push, a cancel) was a few us per
answer, more on uvloop, for deadlines that are minutes away and almost never fire. With a
:class:`Deadlines` (the transport keeps one per loop), a deadline is a dict entry, and one
loop timer, armed at the earliest entry, serves them all.
"""

from __future__ import annotations

import asyncio
import math
import sys
from contextlib import AbstractContextManager
from types import TracebackType

import anyio

__all__ = ["Deadlines", "deadline"]


class _Firing:
    """What :class:`Deadlines` holds: something to call once its time has passed."""

    __slots__ = ()

    def _fire(self) -> None:
        raise NotImplementedError


class Deadlines:
    """Many deadlines of one event loop on a single loop timer.

    The timer is armed at the earliest deadline; when it fires, the deadlines that passed
    fire and it is armed again at the next one. A deadline removed before its time costs
    a dict deletion: the timer may then fire with nothing due, once, and re-arm.
    """

    __slots__ = ("_entries", "_timer", "_timer_at", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._entries: dict[_Firing, float] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, entry: _Firing, when: float) -> None:
        """Call ``entry._fire()`` once the loop's clock reaches ``when`` (unless removed)."""
        self._entries[entry] = when
        if when < self._timer_at:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self.loop.call_at(when, self._due)
            self._timer_at = when

    def discard(self, entry: _Firing) -> None:
        """Forget ``entry`` (it will not fire)."""
        self._entries.pop(entry, None)

    def _due(self) -> None:
        self._timer = None
        self._timer_at = math.inf
        now = self.loop.time()
        passed = [entry for entry, when in self._entries.items() if when <= now]
        for entry in passed:
            del self._entries[entry]
        nearest = min(self._entries.values(), default=math.inf)
        if nearest != math.inf:
            self._timer = self.loop.call_at(nearest, self._due)
            self._timer_at = nearest
        for entry in passed:
            entry._fire()


if sys.version_info >= (3, 11):

    class _Deadline(_Firing):
        __slots__ = ("_cancelling", "_delay", "_fired", "_handle", "_task", "_timers")

        def __init__(self, delay: float, timers: Deadlines | None) -> None:
            self._delay = delay
            self._timers = timers
            self._fired = False
            self._cancelling = 0
            self._handle: asyncio.TimerHandle | None = None
            self._task: asyncio.Task[object] | None = None

        def __enter__(self) -> None:
            task = asyncio.current_task()
            if task is None:
                raise RuntimeError("deadline() needs a running asyncio task")
            self._task = task
            self._cancelling = task.cancelling()
            loop = task.get_loop()
            timers = self._timers
            if timers is not None and timers.loop is loop:
                timers.add(self, loop.time() + self._delay)
            else:
                self._timers = None
                self._handle = loop.call_later(self._delay, self._fire)

        def _fire(self) -> None:
            assert self._task is not None
            self._fired = True
            self._task.cancel()

        def __exit__(
            self,
            exc_type: type[BaseException] | None,
            exc: BaseException | None,
            tb: TracebackType | None,
        ) -> None:
            if self._timers is not None:
                self._timers.discard(self)
            elif self._handle is not None:
                self._handle.cancel()
            if not self._fired:
                return
            assert self._task is not None
            # ours, unless someone else cancelled the task too (theirs then goes through)
            if self._task.uncancel() <= self._cancelling and exc_type is asyncio.CancelledError:
                raise TimeoutError from exc


class _NoDeadline:
    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_NONE = _NoDeadline()


def deadline(
    seconds: float | None, timers: Deadlines | None = None
) -> AbstractContextManager[object]:
    """``with deadline(s): await ...`` raises :class:`TimeoutError` after ``s`` seconds
    (``None``: no limit). For the current asyncio task only, as ``anyio.fail_after``.
    With ``timers`` (of the running loop), the deadline shares their one loop timer."""
    if seconds is None:
        return _NONE
    if sys.version_info >= (3, 11):
        return _Deadline(seconds, timers)
    return anyio.fail_after(seconds)  # pragma: no cover - no Task.uncancel before 3.11
