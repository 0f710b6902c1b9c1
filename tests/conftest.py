"""Shared test configuration."""

from __future__ import annotations

import importlib.util
import inspect
import os
import pathlib
import sys
from functools import cache
from types import ModuleType
from typing import Any

import aiohttp
import aioresponses.core
import pytest

# aioresponses 0.7.9 builds ClientResponse without the ``stream_writer`` argument that
# aiohttp 3.14 made required (pnuckowski/aioresponses#289). Supply it until a release does.
if "stream_writer" in inspect.signature(aiohttp.ClientResponse.__init__).parameters:

    class _CompatClientResponse(aiohttp.ClientResponse):
        def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
            kwargs.setdefault("stream_writer", _NoWriter())
            super().__init__(method, url, **kwargs)

    class _NoWriter:
        output_size = 0

    aioresponses.core.ClientResponse = _CompatClientResponse  # type: ignore[misc]


# The client honours HTTP(S)_PROXY as aiohttp's trust_env does; every test server is on
# loopback, so a developer's proxy settings must not route the tests through their proxy.
for _name in ("NO_PROXY", "no_proxy"):
    os.environ[_name] = ",".join(filter(None, ("127.0.0.1", "localhost", os.environ.get(_name))))

_OPENAPI = pathlib.Path(__file__).resolve().parent / "contract" / "_openapi.py"
_OPENAPI_MODULE = "_contract_openapi"


@cache
def _load_openapi() -> ModuleType:
    """``tests/contract/_openapi.py``, loaded by path once (it caches the parsed specs)."""
    spec = importlib.util.spec_from_file_location(_OPENAPI_MODULE, _OPENAPI)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[_OPENAPI_MODULE] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def openapi() -> ModuleType:
    """The contract helper (``tests/contract/_openapi.py``) for checking bodies against the
    reference OpenAPI files in ``tests/contract/specs``; fails (never skips) when one is missing."""
    if not _OPENAPI.is_file():
        pytest.fail(f"contract helper {_OPENAPI} not found")
    module = _load_openapi()
    reason = module.reference_missing()
    if reason is not None:
        pytest.fail(reason)
    return module


# A real redis-server for the relay tests (and any other): see tests/_redis_server.py.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _redis_server import (  # noqa: E402
    ensure_redis_server,
    needs_redis,
    redis_factory,
    redis_server,
)

__all__ = ["redis_factory", "redis_server"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Install redis-server (apt-get) before the run when a collected test needs it, so the
    install never counts against a test's timeout."""
    if needs_redis(items):
        ensure_redis_server(skip=False)
