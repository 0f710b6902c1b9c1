"""Fixtures of the changes tests: a fresh fake and a client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from textql_async import AsyncTextQL
from textql_async.testing import FakeTextQL


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeTextQL]:
    async with FakeTextQL() as server:
        yield server


@pytest_asyncio.fixture
async def client(fake: FakeTextQL) -> AsyncIterator[AsyncTextQL]:
    async with fake.client(max_retries=0) as c:
        yield c
