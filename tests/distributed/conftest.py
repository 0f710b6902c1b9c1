"""A real Dask ``LocalCluster`` (2 worker processes) and a paced fake TextQL in its own process."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import dask
import pytest
from distributed import LocalCluster

HERE = pathlib.Path(__file__).parent
# short lease expiry: a killed worker's leases come back in seconds, not the default 30 s
LEASES = {
    "distributed.scheduler.locks.lease-timeout": "3s",
    "distributed.scheduler.locks.lease-validation-interval": "0.5s",
}


class FakeProcess:
    """The fake server process: its URL and its counters."""

    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process = process
        self.url = url

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "/_fake/stats", timeout=10) as response:
            result: dict[str, Any] = json.loads(response.read())
            return result


def start_fake(event_delay: float, fail: list[str] | None = None) -> FakeProcess:
    command = [sys.executable, str(HERE / "fake_server.py"), "--event-delay", str(event_delay)]
    for question in fail or []:
        command += ["--fail", question]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("URL "):
        process.kill()
        raise RuntimeError(f"the fake server did not start: {line!r}")
    return FakeProcess(process, line.split()[1])


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


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
    """Two worker processes, one thread each, no dashboard; shared by the module's tests."""
    with dask.config.set(LEASES), LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as local:
        yield local


@pytest.fixture
def leases() -> Iterator[None]:
    """The short lease expiry, also on this test's client side."""
    with dask.config.set(LEASES):
        yield
