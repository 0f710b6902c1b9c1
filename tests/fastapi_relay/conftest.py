"""Fixtures on real parts for the FastAPI relay: a FakeTextQL process and uvicorn replicas.

``redis_server`` (one real redis-server per session) comes from ``tests/_redis_server.py``,
registered by ``tests/conftest.py``.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from typing import Any

import pytest
from _fastapi_relay_kit import FakeProcess, Replica, uvicorn_kit


@pytest.fixture
def uvicorn_serve() -> Any:
    """``async with uvicorn_serve(app) as url``: the app under uvicorn in this event loop."""
    return uvicorn_kit().serve


@pytest.fixture
def fake_process(tmp_path: pathlib.Path) -> Iterator[FakeProcess]:
    """FakeTextQL in a third process, pacing its events (20 ms)."""
    fake = FakeProcess(tmp_path, event_delay=0.02)
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def replicas(
    tmp_path: pathlib.Path, redis_server: Any, fake_process: FakeProcess
) -> Iterator[tuple[Replica, Replica]]:
    """Two uvicorn replicas of the example on one Redis, asking the fake process."""
    env = {
        "REDIS_URL": redis_server.url,
        "TEXTQL_API_KEY": "test-key",
        "TEXTQL_MEMBER_ID": "test-member",
        "TEXTQL_BASE_URL": fake_process.url,
        "SSE_KEEPALIVE": "1",
    }
    started: list[Replica] = []
    try:
        for name in ("replica-a", "replica-b"):
            started.append(Replica(name, tmp_path, env))
        for replica in started:  # started together, waited for one after the other
            replica.wait()
        yield started[0], started[1]
    finally:
        for replica in started:
            replica.stop()
