"""Both sans-IO cores (pure Python, and the mypyc-compiled copy when built) for the tests.

``both_cores`` is a module-scoped autouse fixture: imported into a test module, it runs
every test of that module once per core, with the module's ``SSEDecoder``, ``AnaFold``
and ``AnaDecoder`` names pointing at that core's classes. The compiled run is skipped,
with the reason, only when the compiled core is not built (or is stale, or
``TEXTQL_ASYNC_PURE`` is set).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from textql_async.sansio._select import ACTIVE, COMPILED, PURE, Core

__all__ = ["CORE_PARAMS", "both_cores", "compiled_core", "skip_without_compiled"]

skip_without_compiled = pytest.mark.skipif(
    COMPILED is None, reason=f"compiled core unavailable: {ACTIVE.reason}"
)
CORE_PARAMS = [
    pytest.param(PURE, id="pure"),
    pytest.param(COMPILED, id="compiled", marks=skip_without_compiled),
]
_NAMES = ("SSEDecoder", "AnaFold", "AnaDecoder")


def compiled_core() -> Core:
    """The compiled core (callers are marked ``skip_without_compiled``)."""
    assert COMPILED is not None
    return COMPILED


@pytest.fixture(scope="module", autouse=True, params=CORE_PARAMS)
def both_cores(request: pytest.FixtureRequest) -> Iterator[Core]:
    core: Core = request.param
    module = request.module
    saved = {name: module.__dict__[name] for name in _NAMES if name in module.__dict__}
    for name in saved:
        setattr(module, name, getattr(core, name))
    try:
        yield core
    finally:
        for name, value in saved.items():
            setattr(module, name, value)
