"""pytest plugin with the ``fake_textql`` and ``textql_client`` fixtures.

Registered through the ``pytest11`` entry point, so installing textql-async makes the fixtures
available; the SDK itself is only imported when a fixture is used. Async fixtures use pytest-asyncio when installed (else plain ``pytest.fixture``,
which anyio's pytest plugin can drive).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pytest

if TYPE_CHECKING:
    from textql_async._client import AsyncTextQL
    from textql_async.testing._server import FakeTextQL

__all__ = ["fake_textql", "textql_client"]

_F = TypeVar("_F", bound=Callable[..., Any])


def _async_fixture(func: _F) -> _F:
    try:
        import pytest_asyncio
    except ImportError:  # pragma: no cover - depends on the environment
        return cast(_F, pytest.fixture(func))
    return cast(_F, pytest_asyncio.fixture(func))


@_async_fixture
async def fake_textql() -> AsyncIterator[FakeTextQL]:
    """A started :class:`FakeTextQL` (fresh per test), shut down afterwards."""
    from textql_async.testing._server import FakeTextQL  # lazy: keep plugin loading cheap

    async with FakeTextQL() as fake:
        yield fake


@_async_fixture
async def textql_client(fake_textql: FakeTextQL) -> AsyncIterator[AsyncTextQL]:
    """An entered ``AsyncTextQL`` client pointed at the ``fake_textql`` server."""
    async with fake_textql.client() as client:
        yield client
