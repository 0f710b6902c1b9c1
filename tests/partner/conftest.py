"""Fixtures for the partner API tests: a fresh fake and a client pointed at its /partner base."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from textql_async import AsyncTextQL
from textql_async.testing import FakeTextQL


@pytest.fixture
async def fake() -> AsyncIterator[FakeTextQL]:
    async with FakeTextQL() as server:
        yield server


@pytest.fixture
async def client(fake: FakeTextQL) -> AsyncIterator[AsyncTextQL]:
    async with fake.client() as c:
        yield c
