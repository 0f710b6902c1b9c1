"""Which sans-IO core runs: the compiled copy (mypyc) when it is built and current, else pure Python.

The hot path (bytes -> events -> block updates) is plain typed Python in
:mod:`textql_async.sansio`; ``make accel`` (part of every ``make install``) compiles a
copy of it with mypyc into ``textql_async._speedups`` (see ``tools/build_speedups.py``).
The choice is made once, when :mod:`textql_async.sansio` is first imported: the public
names ``SSEDecoder``, ``AnaFold`` and ``AnaDecoder`` of the ``sse``, ``fold`` and
``chunked`` modules are rebound to the compiled classes, so every caller (the client,
the chat streams, ``from textql_async import AnaFold``) uses the same core without
knowing which. The pure classes stay reachable as :data:`PURE`, which is how the
property tests compare the two in one process.

The compiled core is skipped (the pure one is used) when ``TEXTQL_ASYNC_PURE`` is set
to anything but ``""`` or ``"0"``, when it was never built (no compiler, an installed
wheel), or when it is stale: each compiled module records the sha256 of the source it
was built from, and a source edited since ``make accel`` no longer matches.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from importlib import import_module
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from types import ModuleType

from textql_async.sansio import chunked, fold, slots, sse

__all__ = ["ACTIVE", "COMPILED", "PURE", "PURE_ENV", "Core"]

PURE_ENV = "TEXTQL_ASYNC_PURE"
"""The environment variable forcing the pure-Python core (any value but "" or "0")."""

_SOURCES: tuple[ModuleType, ...] = (slots, sse, fold, chunked)  # build order
_PUBLIC = {"sse": ("SSEDecoder",), "fold": ("AnaFold",), "chunked": ("AnaDecoder",)}


@dataclass(frozen=True)
class Core:
    """One implementation of the hot path: its three classes and why it was (not) chosen."""

    compiled: bool
    SSEDecoder: type[sse.SSEDecoder]
    AnaFold: type[fold.AnaFold]
    AnaDecoder: type[chunked.AnaDecoder]
    reason: str


def _load_compiled() -> tuple[Core | None, str]:
    """The compiled core if it imports and was built from the current sources."""
    modules: dict[str, ModuleType] = {}
    for source in _SOURCES:
        short = source.__name__.rsplit(".", 1)[1]
        try:
            module = import_module(f"textql_async._speedups.{short}")
        except ImportError:
            return None, "not built (run `make accel`)"
        if not str(module.__file__).endswith(tuple(EXTENSION_SUFFIXES)):
            # only the generated .py copy is there (built for another Python version)
            return None, "no compiled extension for this Python (run `make accel`)"
        try:
            digest = hashlib.sha256(Path(str(source.__file__)).read_bytes()).hexdigest()
        except OSError:
            return None, f"source of {source.__name__} unreadable: cannot check the build"
        if getattr(module, "BUILT_FROM", None) != digest:
            return None, f"stale: {source.__name__} changed since the build (run `make accel`)"
        modules[short] = module
    stale = _stale_frame()
    if stale:
        return None, stale
    core = Core(
        True,
        modules["sse"].SSEDecoder,
        modules["fold"].AnaFold,
        modules["chunked"].AnaDecoder,
        "compiled with mypyc",
    )
    return core, core.reason


def _stale_frame() -> str:
    """Why the C framing step (``_frame.c``, imported by the compiled ``chunked``) is
    unusable, or ``""`` when it is built from the current source."""
    try:
        frame = import_module("textql_async._speedups._frame")
    except ImportError:
        return "the C framing step is not built (run `make accel`)"
    try:
        digest = hashlib.sha256(Path(chunked.__file__).with_name("_frame.c").read_bytes()).hexdigest()
    except OSError:
        return "source of the C framing step (_frame.c) unreadable: cannot check the build"
    if getattr(frame, "BUILT_FROM", None) != digest:
        return "stale: _frame.c changed since the build (run `make accel`)"
    return ""


PURE = Core(False, sse.SSEDecoder, fold.AnaFold, chunked.AnaDecoder, "pure Python")
"""The pure-Python core: always importable, the reference the compiled one must match."""

if os.environ.get(PURE_ENV, "") not in ("", "0"):
    COMPILED: Core | None = None
    _why = f"{PURE_ENV} is set"
else:
    COMPILED, _why = _load_compiled()
"""The compiled core, or ``None`` when it is not built, stale, or ``TEXTQL_ASYNC_PURE`` is set."""

ACTIVE = COMPILED or Core(False, PURE.SSEDecoder, PURE.AnaFold, PURE.AnaDecoder, f"pure Python ({_why})")
"""The core the public names resolve to."""

if COMPILED is not None:
    for _module in (sse, fold, chunked):
        for _name in _PUBLIC[_module.__name__.rsplit(".", 1)[1]]:
            _fast = getattr(COMPILED, _name)
            _fast.__doc__ = getattr(PURE, _name).__doc__  # mypyc drops class docstrings
            setattr(_module, _name, _fast)
