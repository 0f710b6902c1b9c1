"""A blocking facade for scripts and notebooks: ``textql_async.sync.TextQL``.

```python
from textql_async.sync import TextQL

with TextQL() as client:
    print(client.ana.ask("Which store is the largest?").answer)
    with client.ana.stream("Revenue by month?") as stream:
        for update in stream:
            print(update.index, update.block)
```

It has no logic of its own: it runs the real :class:`~textql_async.AsyncTextQL` on
one private event-loop thread and forwards every call. Coroutines are awaited
there, async iterators become iterators, async context managers become context
managers. Because the loop lives on its own thread, it also works where a loop is
already running (Jupyter).
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Awaitable, Callable, Iterator
from types import TracebackType
from typing import Any, TypeVar

from textql_async._client import AsyncTextQL

__all__ = ["TextQL"]

T = TypeVar("T")
_PLAIN = (str, bytes, int, float, bool, type(None), tuple, list, dict)


class _LoopThread:
    """One event loop running forever on a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="textql-sync", daemon=True)
        self._thread.start()
        self.closed = False

    def run(self, awaitable: Awaitable[T]) -> T:
        if self.closed:
            if inspect.iscoroutine(awaitable):
                awaitable.close()  # never awaited: say so without a RuntimeWarning
            raise RuntimeError("this sync TextQL client is closed")
        if threading.current_thread() is self._thread:
            raise RuntimeError("a sync TextQL call cannot be made from its own event-loop thread")

        async def wrapper() -> T:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wrapper(), self.loop).result()

    async def _drain(self) -> None:
        """Close abandoned async generators (a half-read batch) and cancel what is left."""
        await self.loop.shutdown_asyncgens()
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def drain(self) -> None:
        self.run(self._drain())

    def stop(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


class _Proxy:
    """Forwards attribute access to an async object, making every result blocking."""

    def __init__(self, target: Any, runner: _LoopThread) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_runner", runner)

    def __repr__(self) -> str:
        return f"<sync {self._target!r}>"

    def __getattr__(self, name: str) -> Any:
        return _wrap(getattr(self._target, name), self._runner)

    # an AnaStream / ChatStream used as `with` and `for`
    def __enter__(self) -> _Proxy:
        self._runner.run(self._target.__aenter__())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._runner.run(self._target.__aexit__(exc_type, exc, tb))

    def __iter__(self) -> Iterator[Any]:
        return _iterate(self._target.__aiter__(), self._runner)


async def _anext(iterator: Any) -> Any:
    # called on the loop thread, so an async generator is registered with that loop
    # (its first __anext__ runs the loop's asyncgen hooks) and closed with it
    return await iterator.__anext__()


async def _aclose(iterator: Any) -> None:
    await iterator.aclose()


def _iterate(iterator: Any, runner: _LoopThread) -> Iterator[Any]:
    try:
        while True:
            try:
                item = runner.run(_anext(iterator))
            except StopAsyncIteration:
                return
            yield _wrap(item, runner)
    finally:
        if hasattr(iterator, "aclose") and not runner.closed:  # else: closed with the client
            runner.run(_aclose(iterator))


def _wrap(value: Any, runner: _LoopThread) -> Any:
    if isinstance(value, _PLAIN) or inspect.isclass(value):
        return value
    if inspect.isawaitable(value):
        return _wrap(runner.run(value), runner)
    if inspect.isasyncgen(value):
        return _iterate(value, runner)
    if callable(value) and not hasattr(value, "__aenter__"):
        return _call(value, runner)
    if hasattr(value, "__aenter__") or hasattr(value, "__aiter__") or _is_resource(value):
        return _Proxy(value, runner)
    return value


def _is_resource(value: Any) -> bool:
    return type(value).__module__.startswith("textql_async.resources")


def _call(function: Callable[..., Any], runner: _LoopThread) -> Callable[..., Any]:
    def blocking(*args: Any, **kwargs: Any) -> Any:
        async def call() -> Any:  # on the loop thread: a method may start a task
            return function(*args, **kwargs)

        return _wrap(runner.run(call()), runner)

    blocking.__doc__ = function.__doc__
    blocking.__name__ = getattr(function, "__name__", "call")
    return blocking


class TextQL:
    """The blocking client: same arguments and methods as :class:`AsyncTextQL`, no ``await``.

    Use it as ``with TextQL() as client:`` (or call :meth:`close`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._runner = _LoopThread()
        try:

            async def build() -> AsyncTextQL:
                return AsyncTextQL(*args, **kwargs)

            self._client = self._runner.run(build())
        except BaseException:
            self._runner.stop()
            raise
        self._closed = False

    def __repr__(self) -> str:
        return f"TextQL({self._client!r})"

    def __getattr__(self, name: str) -> Any:
        return _wrap(getattr(self._client, name), self._runner)

    def __enter__(self) -> TextQL:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the client and stop its event-loop thread."""
        if self._closed:
            return
        self._closed = True
        try:
            self._runner.drain()
            self._runner.run(self._client.aclose())
        finally:
            self._runner.stop()
