"""Pure-Python vs compiled (mypyc) sans-IO core, side by side in one process.

The same bytes go through both cores' :class:`AnaDecoder` (interleaved runs, medians):
the in-memory final path on the realistic answer (64 KiB chunks, ``coalesce=True``, as
``ask()`` reads), the small-chunk rows (1-, 16-, 64-byte pieces, every version), and the
short answer (about 2.7 KB, 23 events, one chunk) decoded and folded ``answers`` times.
Run alone with ``python -m benchmarks.cores``; ``make bench`` includes it.
"""

from __future__ import annotations

import statistics
from typing import Any

from benchmarks.contenders import CHUNK, chunked
from benchmarks.timing import interleaved
from benchmarks.workloads import realistic_answer, short_answer
from textql_async.sansio._select import ACTIVE, COMPILED, PURE, Core

__all__ = ["bench_cores", "format_table", "main"]


def _final(core: Core, chunks: list[bytes], coalesce: bool) -> None:
    decoder = core.AnaDecoder(core.AnaFold())
    feed = decoder.feed
    for chunk in chunks:
        feed(chunk, coalesce=coalesce)
    decoder.fold.snapshot  # noqa: B018  (the final path builds the snapshot)


def _answers(core: Core, stream: bytes, answers: int) -> None:
    decoder_class, fold_class = core.AnaDecoder, core.AnaFold
    for _ in range(answers):
        decoder = decoder_class(fold_class())
        decoder.feed(stream, coalesce=True)
        decoder.fold.snapshot  # noqa: B018


def bench_cores(
    *,
    blocks: int = 200,
    sizes: tuple[int, ...] = (1, 16, 64),
    small_blocks: int = 2,
    answers: int = 2000,
    repeats: int = 5,
) -> dict[str, Any]:
    """Seconds per case for each core (``compiled`` is absent when it is not built)."""
    cores = {"pure": PURE} | ({"compiled": COMPILED} if COMPILED is not None else {})
    big = realistic_answer(blocks).streams[0]
    small = realistic_answer(small_blocks).streams[0]
    short = short_answer().streams[0]
    big_chunks = chunked(big, CHUNK)
    cases: list[tuple[str, int, Any]] = [
        (f"final path, realistic answer ({len(big) / 2**20:.1f} MiB, 64 KiB chunks)", 1,
         lambda core, c=big_chunks: _final(core, c, True)),
    ]
    for size in sizes:
        pieces = chunked(small, size)
        cases.append(
            (f"{size}-byte chunks, every version ({len(small) // 1024} KB answer)", 1,
             lambda core, c=pieces: _final(core, c, False))
        )
    cases.append(
        (f"short answer ({len(short):,} B) decode+fold, per answer", answers,
         lambda core: _answers(core, short, answers))
    )
    rows = []
    for label, per, case in cases:
        runs = {name: (lambda core=core, case=case: case(core)) for name, core in cores.items()}
        times = interleaved(runs, repeats)
        rows.append({"case": label, **{name: statistics.median(t) / per for name, t in times.items()}})
    return {"core": ACTIVE.reason, "repeats": repeats, "rows": rows}


def _fmt(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.1f} us"


def format_table(result: dict[str, Any]) -> list[str]:
    """The markdown table of :func:`bench_cores` (a note instead when not built)."""
    rows = result["rows"]
    if not rows or "compiled" not in rows[0]:
        return [f"The compiled core is not built on this machine ({result['core']}).", ""]
    out = ["| case | pure Python | compiled (mypyc) | speed-up |", "| --- | --- | --- | --- |"]
    for row in rows:
        ratio = row["pure"] / row["compiled"]
        out.append(f"| {row['case']} | {_fmt(row['pure'])} | {_fmt(row['compiled'])} | {ratio:.2f}x |")
    return [*out, ""]


def main() -> None:
    """Print the table (a few seconds)."""
    print("\n".join(format_table(bench_cores())))


if __name__ == "__main__":
    main()
