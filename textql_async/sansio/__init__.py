"""The sans-IO core: bytes -> server-sent events -> Ana block updates, with no I/O.

Two implementations of one typed source: pure Python (always there) and an optional
copy compiled with mypyc (``make accel``, run by every ``make install``). The compiled
one is used when it is built and current, unless ``TEXTQL_ASYNC_PURE=1`` is set;
:func:`accelerated` says which one this process runs. Both give identical results (a
property test compares them on random streams and chunkings).
"""

from __future__ import annotations

from textql_async.sansio._select import ACTIVE as _ACTIVE

__all__ = ["accelerated", "core_description"]


def accelerated() -> bool:
    """Whether the compiled (mypyc) core is in use; ``False`` means pure Python."""
    return _ACTIVE.compiled


def core_description() -> str:
    """Which core is in use and why, e.g. ``"pure Python (TEXTQL_ASYNC_PURE is set)"``."""
    return _ACTIVE.reason
