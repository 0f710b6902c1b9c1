"""Fixtures of the sandcastles tests: a fresh fake, a client pointed at it, a running sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from textql_async import AsyncTextQL
from textql_async.testing import FakeTextQL
from textql_async.testing._v2_sandcastles_store import StoredSandbox


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeTextQL]:
    async with FakeTextQL() as server:
        yield server


@pytest_asyncio.fixture
async def client(fake: FakeTextQL) -> AsyncIterator[AsyncTextQL]:
    async with fake.client(max_retries=0) as c:
        yield c


@pytest.fixture
def box(fake: FakeTextQL) -> StoredSandbox:
    """A running sandbox of the caller, seeded in the fake (no request sent)."""
    return fake.sandcastles.seed()
