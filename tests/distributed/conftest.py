"""A real Dask ``LocalCluster`` (2 worker processes) and a paced fake TextQL in its own process."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import dask
import pytest
from _dask_kit import FakeProcess, start_fake, stop
from distributed import LocalCluster

# short lease expiry: a killed worker's leases come back in seconds, not the default 30 s
LEASES = {
    "distributed.scheduler.locks.lease-timeout": "3s",
    "distributed.scheduler.locks.lease-validation-interval": "0.5s",
}


@pytest.fixture
def fake_process() -> Iterator[Callable[..., FakeProcess]]:
    """``fake_process(event_delay, fail=[...])`` starts one; every one is stopped after the test."""
    started: list[FakeProcess] = []

    def start(event_delay: float = 0.01, fail: list[str] | None = None) -> FakeProcess:
        fake = start_fake(event_delay, fail)
        started.append(fake)
        return fake

    yield start
    for fake in started:
        stop(fake.process)


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """Two worker processes, one thread each, HTTP on a free port; shared by the module's tests."""
    with dask.config.set(LEASES), LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as local:
        yield local
