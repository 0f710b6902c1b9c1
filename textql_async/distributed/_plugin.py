"""The worker plugin: one :class:`~textql_async.AsyncTextQL` per Dask worker process.

Registered by :func:`textql_async.distributed.run_batch` under a name unique to
the run; Dask calls :meth:`TextQLWorkerPlugin.setup` on every worker (also on
workers that join or restart later) and :meth:`TextQLWorkerPlugin.teardown`
when the plugin is unregistered at the end of the run or the worker closes, so
each worker keeps one connection pool for all its partitions and closes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from distributed import Worker, WorkerPlugin

from textql_async._client import AsyncTextQL

__all__ = ["TextQLWorkerPlugin", "worker_client"]


class TextQLWorkerPlugin(WorkerPlugin):
    """Holds the worker's ``AsyncTextQL``: created at setup (or first use), closed at teardown.

    ``client_options`` are ``AsyncTextQL(**client_options)`` arguments; they travel to
    every worker through the scheduler, so prefer ``TEXTQL_API_KEY`` in the workers'
    environment over an ``api_key`` here.
    """

    def __init__(self, client_options: Mapping[str, Any] | None = None) -> None:
        self.client_options = dict(client_options or {})
        self._client: AsyncTextQL | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"client_options": self.client_options, "_client": None}

    async def setup(self, worker: Worker) -> None:
        """Create the worker's client (no connection is opened until the first question)."""
        self.client()

    async def teardown(self, worker: Worker) -> None:
        """Close the worker's client and its connection pool."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def client(self) -> AsyncTextQL:
        """The worker's client, created on first use."""
        if self._client is None or self._client.is_closed:
            self._client = AsyncTextQL(**self.client_options)
        return self._client


def worker_client(worker: Worker, name: str) -> AsyncTextQL:
    """The ``AsyncTextQL`` of the plugin registered as ``name`` on ``worker``."""
    plugin = worker.plugins.get(name)
    if not isinstance(plugin, TextQLWorkerPlugin):
        raise RuntimeError(f"the textql-async worker plugin {name!r} is not registered here")
    return plugin.client()
