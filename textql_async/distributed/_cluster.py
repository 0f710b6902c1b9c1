"""An asynchronous Dask client for the CLI: a fresh ``LocalCluster`` or a running scheduler."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from distributed import Client, LocalCluster

from textql_async._exceptions import ConfigurationError

__all__ = ["dask_client"]

_CONNECT_TIMEOUT = "20s"


@asynccontextmanager
async def dask_client(target: int | str) -> AsyncIterator[Client]:
    """An asynchronous Dask client: of a fresh local cluster (``int``) or of ``target``."""
    if isinstance(target, int):
        has_bokeh = importlib.util.find_spec("bokeh") is not None
        async with LocalCluster(
            n_workers=target,
            threads_per_worker=1,
            processes=True,
            asynchronous=True,
            dashboard_address=":0",  # a free port: never a clash with another cluster
        ) as cluster:
            link = cluster.dashboard_link if has_bokeh else "not available (pip install bokeh)"
            print(
                f"Dask local cluster: {target} worker processes at {cluster.scheduler_address}, "
                f"dashboard {link}",
                file=sys.stderr,
                flush=True,
            )
            async with Client(cluster, asynchronous=True) as client:
                yield client
        return
    try:
        client = await Client(target, asynchronous=True, timeout=_CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise ConfigurationError(f"cannot reach the Dask scheduler at {target}: {exc}") from None
    async with client:
        yield client
