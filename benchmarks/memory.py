"""Decode + fold in memory: every contender on the same chunks, interleaved, medians."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.contenders import (
    CONTENDERS,
    FLOOR,
    OURS_EVERY,
    Chunks,
    chunked,
    final_state,
    outcome,
)
from benchmarks.timing import interleaved, median
from benchmarks.workloads import Workload

__all__ = ["bench_memory", "check_outcomes"]


def _run_all(run: Callable[[Chunks], object], streams: Sequence[Chunks]) -> list[object]:
    return [run(chunks) for chunks in streams]


def _first(workload: Workload, n: int) -> Workload:
    """The first ``n`` streams of ``workload`` (with their counts, for the checks)."""
    if n >= len(workload.streams):
        return workload
    from benchmarks.workloads import count_events

    streams = workload.streams[:n]
    events, block_events, blocks = count_events(streams)
    return Workload(workload.name, streams, events, block_events, blocks)


def check_outcomes(workload: Workload, results: dict[str, list[object]]) -> None:
    """Every contender must compute the same final answer for every stream (else: raise)."""
    reference_key = next(k for k in results if k != FLOOR)
    reference = [outcome(final_state(r)) for r in results[reference_key]]
    for key, values in results.items():
        if key == FLOOR:
            events = sum(values)  # type: ignore[arg-type]
            if events != workload.events:
                raise AssertionError(f"floor split found {events} events, not {workload.events}")
            continue
        for n, (value, expected) in enumerate(zip(values, reference, strict=False)):
            got = outcome(final_state(value))
            if got != expected:
                raise AssertionError(f"{key} differs from {reference_key} on stream {n}")
            if not got.done:
                raise AssertionError(f"{key} did not reach done on stream {n}")
        if key == OURS_EVERY:
            seen = sum(v[1] for v in values)  # type: ignore[index]
            if seen != workload.block_events:
                raise AssertionError(f"every-version path saw {seen} of {workload.block_events}")


def bench_memory(
    workload: Workload, repeats: int, *, chunk_size: int = 64 * 1024, check_streams: int = 500
) -> dict[str, Any]:
    """Time every in-memory contender on ``workload``, after checking that every contender
    computes the same answers (on the first ``check_streams`` streams; that run warms up)."""
    streams = [chunked(s, chunk_size) for s in workload.streams]
    checked = _first(workload, check_streams)
    results = {c.key: _run_all(c.run, streams[:check_streams]) for c in CONTENDERS}
    check_outcomes(checked, results)
    del results
    runs = {c.key: (lambda run=c.run: _run_all(run, streams)) for c in CONTENDERS}
    times = interleaved(runs, repeats, warmup=False)
    return {
        "workload": workload.name,
        "describe": workload.describe(),
        "bytes": workload.size,
        "events": workload.events,
        "streams": len(workload.streams),
        "labels": {c.key: c.label for c in CONTENDERS},
        "median": {key: median(values) for key, values in times.items()},
        "times": times,
        "repeats": repeats,
    }
