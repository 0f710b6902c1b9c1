"""Interleaved timing: every contender once per round (A B C ... then ... C B A), medians."""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping

__all__ = ["interleaved", "interleaved_async", "median"]


def _order(names: list[str], round_: int) -> list[str]:
    # alternate the direction each round so no contender always runs right after another
    return names if round_ % 2 == 0 else names[::-1]


def interleaved(
    runs: Mapping[str, Callable[[], object]], repeats: int, *, warmup: bool = True
) -> dict[str, list[float]]:
    """Seconds per run of each callable, ``repeats`` interleaved rounds (plus one warm-up)."""
    names = list(runs)
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(-1 if warmup else 0, repeats):
        for name in _order(names, round_):
            gc.collect()
            start = time.perf_counter()
            runs[name]()
            elapsed = time.perf_counter() - start
            if round_ >= 0:
                times[name].append(elapsed)
    return times


async def interleaved_async(
    runs: Mapping[str, Callable[[], Awaitable[object]]], repeats: int, *, warmup: bool = True
) -> dict[str, list[float]]:
    """:func:`interleaved` for coroutine functions, on the running loop."""
    names = list(runs)
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(-1 if warmup else 0, repeats):
        for name in _order(names, round_):
            gc.collect()
            await asyncio.sleep(0)
            start = time.perf_counter()
            await runs[name]()
            elapsed = time.perf_counter() - start
            if round_ >= 0:
                times[name].append(elapsed)
    return times


def median(values: list[float]) -> float:
    return statistics.median(values)
