"""What the generated blocking facade (``_sync_generated.py``) runs on: one loop thread.

:class:`Runner` owns an event loop running forever on a daemon thread; every blocking
call is a coroutine sent there (``asyncio.run_coroutine_threadsafe``), so the facade
also works where a loop already runs (Jupyter). :class:`SyncClientBase` is the
lifecycle of ``textql_async.sync.TextQL`` (start, ``close``, ``with``); the typed
methods themselves are generated from the async classes.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from types import TracebackType
from typing import Any, Generic, TypeVar

from textql_async._client import AsyncTextQL

__all__ = ["Runner", "SyncClientBase", "SyncObject", "SyncRawClient"]

T = TypeVar("T")
Target = TypeVar("Target")
Client = TypeVar("Client", bound="SyncClientBase")


class Runner:
    """One event loop running forever on a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="textql-sync", daemon=True)
        self._thread.start()
        self.closed = False

    def run(self, awaitable: Awaitable[T]) -> T:
        """Await ``awaitable`` on the loop thread and return its result (or raise its error)."""
        if self.closed:
            if inspect.iscoroutine(awaitable):
                awaitable.close()  # never awaited: say so without a RuntimeWarning
            raise RuntimeError("this sync TextQL client is closed")
        if threading.current_thread() is self._thread:
            if inspect.iscoroutine(awaitable):
                awaitable.close()
            raise RuntimeError("a sync TextQL call cannot be made from its own event-loop thread")

        async def wrapper() -> T:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wrapper(), self.loop).result()

    def call(self, function: Callable[[], T]) -> T:
        """Call ``function`` on the loop thread (a method that starts a task needs its loop)."""

        async def call() -> T:
            return function()

        return self.run(call())

    def iterate(self, iterator: AsyncIterator[T]) -> Iterator[T]:
        """A blocking iterator over ``iterator``; leaving it early closes the async one."""
        try:
            while True:
                try:
                    item = self.run(_anext(iterator))
                except StopAsyncIteration:
                    return
                yield item
        finally:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None and not self.closed:  # else: closed with the client
                self.run(aclose())

    async def _drain(self) -> None:
        """Close abandoned async generators (a half-read batch) and cancel what is left."""
        await self.loop.shutdown_asyncgens()
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def drain(self) -> None:
        """Finish what was left open (half-read iterators, tasks) before closing."""
        self.run(self._drain())

    def stop(self) -> None:
        """Stop the loop and its thread; idempotent."""
        if self.closed:
            return
        self.closed = True
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


async def _anext(iterator: AsyncIterator[T]) -> T:
    # awaited on the loop thread, so an async generator is registered with that loop
    # (its first __anext__ runs the loop's asyncgen hooks) and closed with it
    return await iterator.__anext__()


class SyncObject(Generic[Target]):
    """A blocking view of one async object: the generated methods forward to ``_target``."""

    __slots__ = ("_runner", "_target")

    def __init__(self, target: Target, runner: Runner) -> None:
        self._target = target
        self._runner = runner

    def __repr__(self) -> str:
        return f"<sync {self._target!r}>"


class SyncRawClient:
    """``client.with_raw_response`` of the blocking client: each call returns its ``RawResponse``.

    As untyped as the async ``with_raw_response`` (attribute access is dynamic there
    too); for a typed ``parsed``, use ``textql_async.raw_response`` on the async client.
    """

    __slots__ = ("_runner", "_target")

    def __init__(self, target: object, runner: Runner) -> None:
        self._target = target
        self._runner = runner

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return SyncRawClient(value, self._runner)  # an API group (``partner.spaces``)

        def blocking(*args: Any, **kwargs: Any) -> Any:
            result = self._runner.call(lambda: value(*args, **kwargs))
            return self._runner.run(result) if inspect.isawaitable(result) else result

        return blocking

    def __repr__(self) -> str:
        return f"<sync {self._target!r}>"


class SyncClientBase:
    """Lifecycle of the blocking client: a loop thread, the async client on it, ``close``."""

    _runner: Runner
    _client: AsyncTextQL
    _borrowed = False  # a with_options() copy: the original owns the loop thread and the pool

    def _bind(self, client: AsyncTextQL) -> None:
        """Make the blocking API groups of ``client`` (generated in ``TextQL``)."""
        raise NotImplementedError

    def _derived(self: Client, client: AsyncTextQL) -> Client:
        """A blocking copy around ``client`` (from ``with_options``) on the same loop thread."""
        copy = object.__new__(type(self))
        copy._runner = self._runner
        copy._client = client
        copy._closed = False
        copy._borrowed = True
        copy._bind(client)
        return copy

    def _start(self, factory: Callable[[], AsyncTextQL]) -> AsyncTextQL:
        """Start the loop thread and build the async client on it (its session lives there)."""
        self._runner = Runner()
        self._closed = False
        try:
            self._client = self._runner.call(factory)
        except BaseException:
            self._runner.stop()
            raise
        return self._client

    def __repr__(self) -> str:
        client = self.__dict__.get("_client")
        return f"{type(self).__name__}({client!r})"

    def __enter__(self: Client) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the client (open streams and batches included) and stop its loop thread.

        On a copy from ``with_options`` this does nothing: the original owns the pool.
        """
        if self._closed or self._borrowed:
            return
        self._closed = True
        try:
            self._runner.drain()
            self._runner.run(self._client.aclose())
        finally:
            self._runner.stop()
