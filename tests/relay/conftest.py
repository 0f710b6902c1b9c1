"""Both relay backends behind one fixture, so one behaviour suite runs against each."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from textql_async import AsyncTextQL
from textql_async.relay import AnswerRelay, InMemoryRelay, RedisRelay

MakeRelay = Callable[..., contextlib.AbstractAsyncContextManager[AnswerRelay]]


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_relay(backend: str, request: pytest.FixtureRequest) -> MakeRelay:
    """``async with make_relay(client, keep=..., ttl=...) as relay:`` for this backend; the
    Redis one gets a fresh key prefix on the session's redis-server."""
    url = request.getfixturevalue("redis_server").url if backend == "redis" else None
    prefix = f"test:{secrets.token_hex(4)}:"

    @contextlib.asynccontextmanager
    async def make(client: AsyncTextQL, **kwargs: Any) -> AsyncIterator[AnswerRelay]:
        relay: AnswerRelay
        if url is None:
            kwargs = {k: v for k, v in kwargs.items() if k in ("keep", "ttl", "recover_timeout", "recover_stable_for")}
            relay = InMemoryRelay(client, **kwargs)
        else:
            kwargs.setdefault("prefix", prefix)
            relay = RedisRelay(client, url, **kwargs)
        async with relay:
            yield relay

    return make
