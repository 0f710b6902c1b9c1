"""Fixtures: a real uvicorn server in the test's event loop (``tests/_uvicorn.py``)."""

from __future__ import annotations

import importlib.util
import pathlib
from typing import Any

import pytest

_PATH = pathlib.Path(__file__).resolve().parents[1] / "_uvicorn.py"
_spec = importlib.util.spec_from_file_location("_textql_uvicorn", _PATH)
assert _spec is not None and _spec.loader is not None
_uvicorn = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_uvicorn)


@pytest.fixture
def uvicorn_serve() -> Any:
    """``async with uvicorn_serve(app) as url``: the app under uvicorn on a free port."""
    return _uvicorn.serve
