"""Run every benchmark and write ``RESULTS.md``, ``results.json`` and ``ratios.png``.

``python -m benchmarks.run`` (what ``make bench`` runs) takes about six minutes on two
cores. ``--tiny`` runs everything once on tiny sizes (what the smoke test does).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks import batch_dask, concurrency, cores, loopback, micro, relay_cpu, relay_layers
from benchmarks.compliance import check_compliance
from benchmarks.contenders import chunked, ours_final, outcome
from benchmarks.memory import bench_memory
from benchmarks.promptness import PROMPT_VIEWS, prompt_delivery
from benchmarks.report import machine_facts, write_chart, write_markdown
from benchmarks.workloads import (
    Workload,
    fold_scaling,
    many_small_answers,
    realistic_answer,
    realistic_events,
    short_answer,
)
from textql_async.testing import render_script

__all__ = ["FULL", "TINY", "Config", "main", "run"]

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Config:
    blocks: int = 200  # workload 1
    answers: int = 10_000  # workload 2
    fold_ids: tuple[int, ...] = (10, 100, 1_000, 10_000)  # workload 3
    fold_min_events: int = 50_000  # workload 3 streams are repeated up to this many events
    repeats: int = 7  # workload 1, end to end
    repeats_small: int = 5  # workloads 2 and 3
    levels: tuple[int, ...] = concurrency.LEVELS
    modes: dict[str, dict[str, Any]] = field(default_factory=lambda: dict(concurrency.MODES))
    linearity_sizes: tuple[int, int, int] = (1 << 20, 4 << 20, 16 << 20)
    fold_min_updates: int = 200_000
    micro_repeats: int = 5  # fold cost per update; linearity uses 3
    coalesce_chunks: tuple[int, ...] = (64 << 10, 1 << 20, 4 << 20)
    slow_blocks: int = 10
    slow_pause: float = 0.001
    dask_questions: int = 2000  # batch at scale: local:2 vs one process (0: skip)
    relay_answers: int = 2_000  # the short answer, asks at once through gather
    relay_rounds: int = 2  # interleaved rounds per child process
    relay_repeats: int = 3  # child processes per loop (alternating loops)
    relay_paced_levels: tuple[int, ...] = (1, 1_000)  # paced p99: ours vs floors, both loops
    relay_paced_rounds: int = 2  # 24 measurements a round, ~60 s
    relay_layer_rounds: int = 4  # the short answer layer by layer, per loop
    small_chunk_sizes: tuple[int, ...] = (1, 16, 64)
    small_chunk_blocks: tuple[int, int] = (2, 4)  # a 195 KB and a 728 KB answer
    small_chunk_repeats: int = 3


FULL = Config()
TINY = Config(
    blocks=3,
    answers=20,
    fold_ids=(10, 100),
    fold_min_events=500,
    repeats=1,
    repeats_small=1,
    levels=(1, 2),
    modes={
        "burst": {"delay": 0.0, "separate_server": False},
        "paced": {"delay": 0.001, "separate_server": True},
    },
    linearity_sizes=(16 << 10, 64 << 10, 256 << 10),
    fold_min_updates=2_000,
    micro_repeats=1,
    coalesce_chunks=(4 << 10, 64 << 10),
    slow_blocks=2,
    slow_pause=0.0,
    dask_questions=20,
    relay_answers=20,
    relay_rounds=1,
    relay_repeats=1,
    relay_paced_levels=(1, 2),
    relay_layer_rounds=1,
    relay_paced_rounds=1,
    small_chunk_sizes=(64,),
    small_chunk_blocks=(1, 2),
    small_chunk_repeats=1,
)


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _repeated(workload: Workload, min_events: int) -> Workload:
    """The workload's streams repeated so that one run covers ``min_events`` events."""
    times = max(1, min_events // workload.events)
    return Workload(
        workload.name,
        workload.streams * times,
        workload.events * times,
        workload.block_events * times,
        workload.blocks * times,
    )


def run(config: Config, out: Path, *, chart: bool = True) -> dict[str, Any]:
    """Run everything in ``config``; write the files into ``out``; return the results."""
    started = time.perf_counter()
    results: dict[str, Any] = {"machine": machine_facts(), "config": _config_dict(config)}

    _log(f"workload 1: realistic answer, {config.blocks} blocks")
    w1 = realistic_answer(config.blocks)
    results["w1"] = bench_memory(w1, config.repeats)
    _log(f"  {w1.describe()}: done")

    _log(f"workload 2: {config.answers:,} small answers")
    w2 = many_small_answers(config.answers)
    results["w2"] = bench_memory(w2, config.repeats_small)
    del w2

    results["w3"] = []
    for n in config.fold_ids:
        _log(f"workload 3: fold scaling, {n:,} ids x 20 updates")
        w3 = fold_scaling(n)
        row = bench_memory(_repeated(w3, config.fold_min_events), config.repeats_small)
        row["ids"] = n
        row["describe"] = w3.describe()
        results["w3"].append(row)

    _log("end to end over loopback, and the slow consumer")
    slow_events = realistic_events(config.slow_blocks, seed=7)
    slow = render_script(slow_events)
    expected = outcome(ours_final(chunked(w1.streams[0])))
    with loopback.loopback_server({"answer": w1.streams[0], "slow": slow}) as url:
        results["e2e"] = loopback.bench_end_to_end(url, "answer", expected, config.repeats)
        results["e2e"]["describe"] = w1.describe()
        results["slow_consumer"] = loopback.bench_slow_consumer(url, "slow", config.slow_pause)
    results["slow_consumer"]["block_events"] = sum(1 for e in slow_events if e[0] == "block")
    results["slow_consumer"]["bytes"] = len(slow)
    results["slow_consumer"]["events"] = len(slow_events)

    _log(
        f"relay cost per answer: the short answer x {config.relay_answers:,} through gather, "
        "the big one in 64 KiB / 1 MiB / per-event writes, on "
        + " and ".join(loop for loop in relay_cpu.LOOPS if relay_cpu.loop_available(loop))
    )
    short = short_answer()
    with loopback.loopback_server({"short": short.streams[0], "big": w1.streams[0]}) as url:
        results["relay"] = relay_cpu.bench_relay(
            url,
            n=config.relay_answers,
            rounds=config.relay_rounds,
            repeats=config.relay_repeats,
            workloads=list(relay_cpu.WORKLOADS),
        )
        _log("  the short answer, layer by layer")
        results["relay_layers"] = relay_layers.bench_layers(
            url, n=config.relay_answers, rounds=config.relay_layer_rounds
        )
        _log("  profiles of the relay workloads")
        results["relay_profile"] = relay_cpu.profile_relay(
            url, n=config.relay_answers, workloads=["short", "big@65536", "big@1048576"]
        )
    results["relay"].update(
        short_bytes=short.size,
        short_events=short.events,
        big_bytes=w1.size,
        big_blocks=w1.blocks,
    )
    paced = config.modes.get("paced")
    if paced is not None:
        _log(
            f"paced streams: {', '.join(f'{n:,}' for n in config.relay_paced_levels)}, ours vs "
            "the floors, FakeTextQL and the lean server, both loops"
        )
        results["relay_paced"] = concurrency.run_paced(
            config.relay_paced_levels, delay=paced["delay"], rounds=config.relay_paced_rounds
        )

    _log("small chunks: 1-, 16-, 64-byte pieces, fast path vs general path")
    results["small_chunks"] = micro.bench_small_chunks(
        tuple(realistic_answer(n).streams[0] for n in config.small_chunk_blocks),  # type: ignore[arg-type]
        config.small_chunk_sizes,
        repeats=config.small_chunk_repeats,
    )

    _log("pure-Python vs compiled sans-IO core, interleaved")
    results["cores"] = cores.bench_cores(
        blocks=config.blocks, sizes=config.small_chunk_sizes, repeats=config.micro_repeats
    )

    _log("profile of the final path on workload 1")
    results["profile_final"] = micro.profile_top(partial(ours_final, chunked(w1.streams[0])))

    _log("coalescing in memory (workload 1 in big chunks)")
    results["coalescing"] = micro.bench_coalescing(w1, config.coalesce_chunks)
    del w1

    _log("concurrency: " + ", ".join(f"{n:,}" for n in config.levels) + " streams")
    results["concurrency"] = {
        mode: {
            "options": options,
            "levels": [concurrency.run_level(n, **options) for n in config.levels],
        }
        for mode, options in config.modes.items()
    }

    paced = config.modes.get("paced")
    if paced is not None and paced.get("separate_server"):
        _log(f"profile of the client at {config.levels[-1]:,} paced streams")
        results["concurrency_profile"] = concurrency.run_level(
            config.levels[-1], **paced, profile=True
        )

    _log("decoder linearity")
    results["linearity"] = micro.bench_linearity(
        config.linearity_sizes, repeats=min(3, config.micro_repeats)
    )

    _log("fold cost per update")
    results["fold"] = micro.bench_fold_scaling(
        config.fold_ids, repeats=config.micro_repeats, min_updates=config.fold_min_updates
    )

    _log("prompt delivery and spec compliance")
    results["prompt"] = {view: asyncio.run(prompt_delivery(view)) for view in PROMPT_VIEWS}
    results["compliance"] = check_compliance()

    if config.dask_questions and importlib.util.find_spec("distributed") is not None:
        _log(f"batch at scale: {config.dask_questions:,} questions, dask local:2 vs one process")
        results["batch_dask"] = batch_dask.run(config.dask_questions)

    results["seconds"] = time.perf_counter() - started
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    if chart:
        write_chart(results, out / "ratios.png")
    write_markdown(results, out / "RESULTS.md", chart="ratios.png" if chart else None)
    if "batch_dask" in results:
        batch_dask.update_results(results["batch_dask"], out / "RESULTS.md")
    _log(f"wrote {out / 'RESULTS.md'} in {results['seconds']:.0f} s")
    return results


def _config_dict(config: Config) -> dict[str, Any]:
    return {k: v for k, v in config.__dict__.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="tiny sizes, one repeat")
    parser.add_argument("--out", type=Path, default=HERE, help="output folder")
    parser.add_argument("--no-chart", action="store_true", help="skip the PNG chart")
    args = parser.parse_args(argv)
    run(TINY if args.tiny else FULL, args.out, chart=not args.no_chart)


if __name__ == "__main__":
    main()
