"""Focused measurements: decoder linearity, fold cost per update, decodes saved by coalescing."""

from __future__ import annotations

import contextlib
import gc
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

from benchmarks.contenders import DictFold, chunked
from benchmarks.timing import interleaved
from benchmarks.workloads import Workload, fold_scaling
from textql_async import _streaming
from textql_async.models.ana import Block, decode_block
from textql_async.sansio import _select
from textql_async.sansio.chunked import AnaDecoder
from textql_async.sansio.fold import AnaFold
from textql_async.sansio.sse import DEFAULT_MAX_EVENT_SIZE, SSEDecoder
from textql_async.testing import render_script

__all__ = [
    "big_event_stream",
    "profile_groups",
    "profile_rows",
    "profile_top",
    "bench_fold_scaling",
    "bench_linearity",
    "bench_coalescing",
    "bench_small_chunks",
    "count_decoded_blocks",
]

MiB = 1024 * 1024


# -- instrumentation ------------------------------------------------------------------------


@contextlib.contextmanager
def count_decoded_blocks() -> Iterator[list[int]]:
    """Count block Structs placed in any :class:`AnaFold` while the block is active.

    Every block Struct the SDK decodes is placed exactly once: the general path decodes and
    applies each event, the fast path applies each block it materializes (with
    ``coalesce=True`` only the newest version of each id in a chunk is materialized).

    A compiled (mypyc) class cannot be patched, so while counting, the pure-Python core
    runs: the decoders made inside the block (and the client's streams) are the pure ones.
    Both cores decode exactly the same blocks (tests/sansio/test_compiled_core.py).
    """
    counter = [0]
    pure = _select.PURE.AnaFold
    original = pure.apply_block

    def counting(self: AnaFold, block: Any) -> Any:
        counter[0] += 1
        return original(self, block)

    swapped = [(_streaming, "AnaFold", pure), (_streaming, "AnaDecoder", _select.PURE.AnaDecoder)]
    saved = [(module, name, getattr(module, name)) for module, name, _ in swapped]
    pure.apply_block = counting  # type: ignore[method-assign]
    for module, name, value in swapped:
        setattr(module, name, value)
    try:
        yield counter
    finally:
        pure.apply_block = original  # type: ignore[method-assign]
        for module, name, value in saved:
            setattr(module, name, value)


def _time(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# -- decoder linearity ----------------------------------------------------------------------


def big_event_stream(size: int) -> bytes:
    """A stream whose one big block event (``size`` bytes of event in all) follows ordinary
    events, so the decoder is in its steady state (fast mode) when the big event starts."""
    head: list[tuple[str, object]] = [("chatId", "big"), ("userMsgId", 1), ("assistantMsgId", 2)]
    head += [("block", {"tag": "TextBlock", "id": "small", "contents": "warming up"})] * 30
    overhead = len(render_script([("block", {"tag": "TextBlock", "id": "big", "contents": ""})]))
    big = [("block", {"tag": "TextBlock", "id": "big", "contents": "x" * (size - overhead)})]
    return render_script([*head, *big, ("message", "done")])


def _feed_all(make: Callable[[], Any], chunks: list[bytes]) -> None:
    decoder = make()
    for chunk in chunks:
        decoder.feed(chunk)


_DECODERS: dict[str, Callable[[], Any]] = {
    "AnaDecoder (what the client runs)": lambda: AnaDecoder(),
    "SSEDecoder (general path)": lambda: SSEDecoder(),
}


def bench_linearity(
    sizes: tuple[int, int, int] = (1 * MiB, 4 * MiB, 16 * MiB),
    chunk: int = 1024,
    repeats: int = 3,
    quadratic_guard: float = 8.0,
) -> dict[str, Any]:
    """One big event fed in ``chunk``-byte pieces, at three sizes.

    The target compares the two largest sizes (16 MiB vs 4 MiB: 4x is linear, 16x quadratic).
    If a decoder's cost grows by more than ``quadratic_guard`` from the smallest to the middle
    size, its largest size is not run (it would take minutes); the growth measured so far is
    reported instead, with the extrapolated time.
    """
    small, middle, large = sizes
    streams = {size: chunked(big_event_stream(size - 4096), chunk) for size in sizes}
    check = AnaDecoder()
    for piece in streams[small]:
        check.feed(piece)
    if not check.fold.done or len(check.fold.snapshot.blocks) != 2:
        raise AssertionError("the big-event stream did not decode")
    rows: dict[str, Any] = {}
    for name, make in _DECODERS.items():
        t_small = _time(lambda make=make: _feed_all(make, streams[small]))
        t_middle = _time(lambda make=make: _feed_all(make, streams[middle]))
        growth = t_middle / t_small
        row: dict[str, Any] = {"times": {small: t_small, middle: t_middle}, "growth_small": growth}
        if growth > quadratic_guard:
            row["skipped_large"] = True
            row["large_estimate"] = t_middle * growth
            row["ratio"] = growth  # the measured growth per 4x size
        else:
            mids = [t_middle] + [
                _time(lambda make=make: _feed_all(make, streams[middle]))
                for _ in range(repeats - 1)
            ]
            larges = [
                _time(lambda make=make: _feed_all(make, streams[large])) for _ in range(repeats)
            ]
            row["times"][middle] = statistics.median(mids)
            row["times"][large] = statistics.median(larges)
            row["ratio"] = row["times"][large] / row["times"][middle]
        rows[name] = row
    return {
        "sizes": list(sizes),
        "chunk": chunk,
        "max_event_size": DEFAULT_MAX_EVENT_SIZE,
        "decoders": rows,
    }


# -- fold cost per update -------------------------------------------------------------------


def _blocks_and_payloads(workload: Workload) -> tuple[list[Block], list[str]]:
    payloads = [
        frame.split(b"\ndata: ", 1)[1].decode()
        for frame in workload.streams[0].split(b"\n\n")
        if frame.startswith(b"event: block\n")
    ]
    return [decode_block(p) for p in payloads], payloads


def _apply_all(blocks: list[Block], loops: int) -> None:
    for _ in range(loops):
        apply = AnaFold().apply_block
        for block in blocks:
            apply(block)


def _feed_all_payloads(payloads: list[str], loops: int) -> None:
    for _ in range(loops):
        feed = AnaFold().feed
        for payload in payloads:
            feed("block", payload)


def _dict_fold_all(objects: list[dict[str, Any]], loops: int) -> None:
    for _ in range(loops):
        feed = DictFold().feed
        for obj in objects:
            feed("block", obj)


def bench_fold_scaling(
    id_counts: tuple[int, ...] = (10, 100, 1_000, 10_000),
    updates: int = 20,
    repeats: int = 5,
    min_updates: int = 200_000,
) -> dict[str, Any]:
    """Nanoseconds per update of the fold alone, by number of distinct ids (round-robin).

    The sizes are measured interleaved, ``repeats`` rounds; each figure is the fastest round
    (the least disturbed by anything else running on the machine), as ``timeit`` reports.
    """
    import json

    cases = []
    for n in id_counts:
        workload = fold_scaling(n, updates)
        blocks, payloads = _blocks_and_payloads(workload)
        objects = [json.loads(p) for p in payloads]
        loops = max(1, min_updates // len(blocks))
        measures: dict[str, Callable[[], None]] = {
            "AnaFold.apply_block (decoded block)": lambda b=blocks, k=loops: _apply_all(b, k),
            "AnaFold.feed (JSON text: decode + fold)": lambda p=payloads, k=loops: (
                _feed_all_payloads(p, k)
            ),
            "DictFold.feed (json.loads dict)": lambda o=objects, k=loops: _dict_fold_all(o, k),
        }
        cases.append((n, len(blocks), loops * len(blocks), measures))
    best: dict[tuple[int, str], float] = {}
    for _ in range(repeats):
        for n, _count, total, measures in cases:
            for name, fn in measures.items():
                ns = _time(fn) / total * 1e9
                best[n, name] = min(best.get((n, name), ns), ns)
    rows = [
        {"ids": n, "updates": count, "ns_per_update": {name: best[n, name] for name in measures}}
        for n, count, _total, measures in cases
    ]
    return {"rows": rows, "repeats": repeats}


# -- coalescing: decodes a slow consumer does not pay for ----------------------------------


def bench_coalescing(workload: Workload, chunk_sizes: tuple[int, ...]) -> dict[str, Any]:
    """Workload fed in big chunks (what a consumer that fell behind reads at once):
    block Structs decoded and time, ``coalesce=True`` vs every version."""
    data = workload.streams[0]
    rows = []
    for size in chunk_sizes:
        chunks = chunked(data, size)
        row: dict[str, Any] = {"chunk": size}
        for coalesce in (True, False):
            with count_decoded_blocks() as decoded:
                decoder = _select.PURE.AnaDecoder()
                updates = sum(len(decoder.feed(c, coalesce=coalesce)) for c in chunks)
            seconds = statistics.median(
                _time(lambda c=coalesce, k=chunks: _decode(k, c)) for _ in range(3)
            )
            key = "coalesce" if coalesce else "every"
            row[key] = {"decoded": decoded[0], "updates": updates, "seconds": seconds}
        rows.append(row)
    return {"block_events": workload.block_events, "rows": rows}


def _decode(chunks: list[bytes], coalesce: bool) -> None:
    decoder = AnaDecoder()
    for chunk in chunks:
        decoder.feed(chunk, coalesce=coalesce)


# -- profiles -------------------------------------------------------------------------------


def profile_top(fn: Callable[[], object], limit: int = 8) -> list[dict[str, Any]]:
    """The functions ``fn`` spends its own time in (cProfile ``tottime``), biggest first."""
    import cProfile

    profiler = cProfile.Profile()
    profiler.runcall(fn)
    return profile_rows(profiler, limit)


def profile_rows(profiler: Any, limit: int = 8) -> list[dict[str, Any]]:
    """A cProfile's functions by own time (``tottime``), biggest first, with their package."""
    import pstats

    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = []
    for (filename, line, name), (_cc, calls, tottime, _cum, _callers) in stats.items():
        where = filename.rsplit("/", 2)[-1] if filename.startswith("/") else filename
        label = f"{where}:{line}({name})" if line else name
        group = _group(filename, name)
        rows.append({"function": label, "calls": calls, "ms": tottime * 1e3, "group": group})
    rows.sort(key=lambda r: -r["ms"])
    return rows[:limit]


_GROUPS = (
    ("textql_async/sansio", "our decoder and fold (textql_async.sansio)"),
    ("textql_async", "our streaming and transport (textql_async)"),
    ("aiohttp", "aiohttp"),
    ("anyio", "anyio"),
    ("asyncio", "asyncio event loop"),
    ("~", "C builtins (socket, epoll, msgspec, bytes)"),
)


_IDLE = "waiting for the network (epoll, not CPU)"


def _group(filename: str, name: str) -> str:
    if "select.epoll" in name or "select.select" in name or "uv_run" in name:
        return _IDLE
    for marker, label in _GROUPS:
        if marker in filename:
            return label
    return "other"


def profile_groups(profiler: Any) -> dict[str, float]:
    """A cProfile's ``tottime`` in ms, summed by where the code lives (see ``_GROUPS``)."""
    import pstats

    stats = pstats.Stats(profiler).stats
    groups: dict[str, float] = {label: 0.0 for _, label in _GROUPS}
    groups["other"] = 0.0
    groups[_IDLE] = 0.0
    for (filename, _line, name), (_cc, _calls, tottime, _cum, _callers) in stats.items():
        groups[_group(filename, name)] += tottime * 1e3
    return groups


# -- small chunks ---------------------------------------------------------------------------


def _every_version(chunks: list[bytes]) -> None:
    decoder = AnaDecoder()
    for chunk in chunks:
        decoder.feed(chunk)


def _general_path(chunks: list[bytes]) -> None:
    sse = SSEDecoder()
    fold = AnaFold()
    for chunk in chunks:
        for event in sse.feed(chunk):
            fold.feed(event.event, event.data)


def bench_small_chunks(
    streams: tuple[bytes, bytes], sizes: tuple[int, ...], *, repeats: int
) -> dict[str, Any]:
    """An answer cut into pieces of ``sizes`` bytes: the fast path (AnaDecoder, every
    version) against the general path (SSEDecoder + AnaFold.feed), interleaved, medians; and
    the same for an answer about 4x longer (linear: the time grows with the bytes)."""
    rows = []
    for size in sizes:
        row: dict[str, Any] = {"chunk": size}
        for label, data in (("small", streams[0]), ("large", streams[1])):
            chunks = [data[i : i + size] for i in range(0, len(data), size)]
            runs = {
                "fast": lambda c=chunks: _every_version(c),
                "general": lambda c=chunks: _general_path(c),
            }
            times = interleaved(runs, repeats, warmup=False)
            row[label] = {k: statistics.median(v) for k, v in times.items()}
        rows.append(row)
    return {"bytes": [len(s) for s in streams], "rows": rows, "repeats": repeats}
