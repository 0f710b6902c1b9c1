"""The CLI's event loop: uvloop when the ``speed`` extra is installed, else asyncio's own.

uvloop cuts the CPU the event loop and the socket layer take per answer (see the README's
Performance section); the library itself runs on any asyncio loop and never imports it.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["loop_name", "run"]

T = TypeVar("T")


def _uvloop() -> Any | None:
    try:
        return importlib.import_module("uvloop")
    except ImportError:
        return None


def loop_name() -> str:
    """``"uvloop"`` when it is installed (and will be used), else ``"asyncio"``."""
    return "uvloop" if _uvloop() is not None else "asyncio"


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on a uvloop loop when uvloop is installed."""
    uvloop = _uvloop()
    if uvloop is None:
        return asyncio.run(main)
    result: T = uvloop.run(main)
    return result
