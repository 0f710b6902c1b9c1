"""Resources that belong to one event loop, closed when that loop shuts down.

A client made at module level (the pattern openai documents) is used by one
``asyncio.run`` after another; each run has its own loop, and an aiohttp session
only works on the loop it was made on. :class:`LoopScope` remembers that loop and
starts a tiny async generator on it: ``asyncio.run`` (like every ``asyncio.Runner``
and pytest-asyncio) ``aclose()``s the live async generators of its loop before
closing it, which runs our ``finally`` while the loop still runs, so the resource is
closed cleanly there, and the next loop simply makes a new one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable

__all__ = ["LoopScope"]


class LoopScope:
    """The loop a resource was made on, and a hook that closes it when that loop ends."""

    def __init__(self, close: Callable[[], Awaitable[None]]) -> None:
        self._close = close
        self.loop: asyncio.AbstractEventLoop | None = None
        self._watch: _Watch | None = None

    def enter(self) -> None:
        """Bind to the running loop (call right after making the resource on it)."""
        self.loop = asyncio.get_running_loop()
        self._watch = _Watch(self, self._close)

    def is_current(self) -> bool:
        """Whether the running loop is the one the resource belongs to."""
        return self.loop is asyncio.get_running_loop()

    def loop_is_running(self) -> bool:
        """Whether the resource's loop still runs (in another thread, if it is not current)."""
        return self.loop is not None and self.loop.is_running()

    async def aclose(self) -> None:
        """Close the resource now (the client's ``aclose``), on its own loop."""
        watch, self._watch = self._watch, None
        self.loop = None
        if watch is not None:
            await watch.aclose()

    def forget(self) -> None:
        """Drop the binding without closing (the loop is gone, and the resource with it)."""
        watch, self._watch = self._watch, None
        self.loop = None
        if watch is not None:
            watch.active = False  # its generator may still be finalized later: a no-op then


class _Watch:
    """One async generator started on the loop; its ``finally`` closes the resource."""

    def __init__(self, scope: LoopScope, close: Callable[[], Awaitable[None]]) -> None:
        self.active = True
        self._scope = scope
        self._close = close
        self._generator = self._run()
        step = self._generator.asend(None)  # the loop's firstiter hook registers it here
        try:
            step.send(None)  # to the first yield, synchronously: nothing is awaited before
        except StopIteration:
            pass

    async def _run(self) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            if self.active:
                self.active = False
                if self._scope._watch is self:  # the loop is ending: unbind the scope too
                    self._scope._watch = None
                    self._scope.loop = None
                await self._close()

    async def aclose(self) -> None:
        await self._generator.aclose()
