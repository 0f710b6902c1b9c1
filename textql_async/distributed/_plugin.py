"""The worker plugin: one :class:`~textql_async.AsyncTextQL` per Dask worker process.

Registered by :func:`textql_async.distributed.run_batch` under a name unique to
the run; Dask calls :meth:`TextQLWorkerPlugin.setup` on every worker (also on
workers that join or restart later) and :meth:`TextQLWorkerPlugin.teardown`
when the plugin is unregistered at the end of the run or the worker closes, so
each worker keeps one connection pool for all its partitions and closes it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from typing import Any

from distributed import Worker, WorkerPlugin

from textql_async._client import AsyncTextQL

__all__ = ["TextQLWorkerPlugin", "plugin_of", "worker_client"]


class TextQLWorkerPlugin(WorkerPlugin):
    """Holds the worker's ``AsyncTextQL``: created at setup (or first use), closed at teardown.

    ``client_options`` are ``AsyncTextQL(**client_options)`` arguments; they travel to
    every worker through the scheduler, so prefer ``TEXTQL_API_KEY`` in the workers'
    environment over an ``api_key`` here.
    """

    def __init__(self, client_options: Mapping[str, Any] | None = None) -> None:
        self.client_options = dict(client_options or {})
        self._client: AsyncTextQL | None = None
        self._background: set[asyncio.Task[None]] = set()

    def __getstate__(self) -> dict[str, Any]:
        return {"client_options": self.client_options}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state.get("client_options"))  # type: ignore[misc]

    def keep(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` in the background until done or teardown (rate leases' windows)."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def setup(self, worker: Worker) -> None:
        """Create the worker's client (no connection is opened until the first question)."""
        self.client()

    async def teardown(self, worker: Worker) -> None:
        """Finish background work, close the worker's client and its connection pool."""
        background = list(self._background)
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def client(self) -> AsyncTextQL:
        """The worker's client, created on first use."""
        if self._client is None or self._client.is_closed:
            self._client = AsyncTextQL(**self.client_options)
        return self._client


def plugin_of(worker: Worker, name: str) -> TextQLWorkerPlugin:
    """The plugin registered as ``name`` on ``worker``."""
    plugin = worker.plugins.get(name)
    if not isinstance(plugin, TextQLWorkerPlugin):
        raise RuntimeError(f"the textql-async worker plugin {name!r} is not registered here")
    return plugin


def worker_client(worker: Worker, name: str) -> AsyncTextQL:
    """The ``AsyncTextQL`` of the plugin registered as ``name`` on ``worker``."""
    return plugin_of(worker, name).client()
