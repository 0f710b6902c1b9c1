"""A deadline for one ``await`` on the running asyncio loop: one timer, nothing else.

``anyio.fail_after`` sets up a cancel scope per use (a generator, the scope, task state,
sets and a timer): per request, at thousands of concurrent streams, that was about 20 us of
CPU and a dozen long-lived, GC-tracked objects per answer. :func:`deadline` does what the
transport needs for each attempt's wait for headers with one loop timer: it cancels the
waiting task, and turns that cancellation (only that one) into :class:`TimeoutError`, with
the task's cancellation count restored (``Task.uncancel``), as ``asyncio.timeout`` does.
On Python 3.10 (no ``uncancel``) it is ``anyio.fail_after``.
"""

from __future__ import annotations

import asyncio
import sys
from contextlib import AbstractContextManager
from types import TracebackType

import anyio

__all__ = ["deadline"]


if sys.version_info >= (3, 11):

    class _Deadline:
        __slots__ = ("_cancelling", "_delay", "_fired", "_handle", "_task")

        def __init__(self, delay: float) -> None:
            self._delay = delay
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
            self._handle = task.get_loop().call_later(self._delay, self._fire)

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
            if self._handle is not None:
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


def deadline(seconds: float | None) -> AbstractContextManager[object]:
    """``with deadline(s): await ...`` raises :class:`TimeoutError` after ``s`` seconds
    (``None``: no limit). For the current asyncio task only, as ``anyio.fail_after``."""
    if seconds is None:
        return _NONE
    if sys.version_info >= (3, 11):
        return _Deadline(seconds)
    return anyio.fail_after(seconds)  # pragma: no cover - no Task.uncancel before 3.11
