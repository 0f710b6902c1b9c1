"""Batch at scale: N questions on a Dask ``local:2`` cluster vs the single-process batch.

``python -m benchmarks.batch_dask`` (also run by ``make bench``) asks
2,000 questions of a fake TextQL running in its own process - paced like a slow API
(about 0.3 s an answer) and unpaced (the client's CPU is the limit) - each twice,
side by side in one run: through ``textql-async batch`` in one process, and through
:func:`textql_async.distributed.run_batch` on a ``LocalCluster`` of 2 worker
processes (what ``--dask local:2`` starts). Both use the same concurrency and
write the same out file and journal. It reports wall time, answers a second and
CPU per answer - of the client process (for Dask: the process that writes
``out``, which also hosts the scheduler) and of the workers - and updates the
"Batch at scale" section of ``RESULTS.md`` (between markers, so the rest of the
file is left alone).

On a shared 2-core machine the fake server, the client and the workers share
the same two cores, so the numbers are noisy; the ratios in one run are what
to read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["PACINGS", "main", "render", "run", "update_results"]

HERE = Path(__file__).resolve().parent
BEGIN = "<!-- batch-dask:begin -->"
END = "<!-- batch-dask:end -->"


def _start_fake(event_delay: float) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "textql_async.testing", "--port", "0", "--event-delay", str(event_delay)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if "listening on " not in line:
        process.kill()
        raise RuntimeError(f"the fake server did not start: {line!r}")
    return process, line.rsplit(" ", 1)[1].strip()


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


def _count(path: Path) -> int:
    return sum(1 for line in path.read_text().splitlines() if json.loads(line)["error"] is None)


async def _single(url: str, questions: list[str], concurrency: int, out: Path) -> dict[str, Any]:
    from textql_async import AsyncTextQL
    from textql_async.cli._batch import BatchOptions, run_batch_command

    source = out.with_suffix(".txt")
    source.write_text("\n".join(questions) + "\n")
    async with AsyncTextQL(api_key="test-key", member_id="test-member", base_url=url) as client:
        cpu, wall = time.process_time(), time.perf_counter()
        await run_batch_command(client, BatchOptions(str(source), str(out), concurrency))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"wall": wall, "client_cpu": cpu, "worker_cpu": 0.0, "answers": _count(out)}


def _worker_cpu() -> float:
    import psutil

    times = psutil.Process().cpu_times()
    return float(times.user + times.system)


async def _dask(
    url: str, questions: list[str], concurrency: int, out: Path, workers: int
) -> dict[str, Any]:
    from distributed import Client, LocalCluster

    from textql_async.distributed import run_batch

    started = time.perf_counter()
    async with LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        asynchronous=True,
        dashboard_address=":0",
    ) as cluster, Client(cluster, asynchronous=True) as dask_client:
        startup = time.perf_counter() - started
        before = await dask_client.run(_worker_cpu)
        cpu, wall = time.process_time(), time.perf_counter()
        await run_batch(
            questions,
            dask_client=dask_client,
            concurrency=concurrency,
            out=str(out),
            client_options={"api_key": "test-key", "member_id": "test-member", "base_url": url},
        )
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        after = await dask_client.run(_worker_cpu)
    worker_cpu = sum(after[w] - before.get(w, 0.0) for w in after)
    return {
        "wall": wall,
        "client_cpu": cpu,
        "worker_cpu": worker_cpu,
        "answers": _count(out),
        "startup": startup,
    }


PACINGS = (0.01, 0.0)
"""Seconds between a fake answer's events: about 0.3 s an answer (API-bound), and none
(client-CPU-bound: the most a client can do)."""


def run(
    questions: int = 2000,
    concurrency: int = 50,
    pacings: tuple[float, ...] = PACINGS,
    workers: int = 2,
) -> dict[str, Any]:
    """Both runs against one fresh fake each, for every pacing; the measured rows."""
    asked = [f"benchmark question {i}" for i in range(questions)]
    scenarios: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for delay in pacings:
            rows: dict[str, Any] = {}
            for name in ("single process", f"dask local:{workers}"):
                fake, url = _start_fake(delay)
                try:
                    stem = f"{delay}-{name.replace(' ', '-').replace(':', '')}"
                    out = Path(tmp) / f"{stem}.jsonl"
                    if name == "single process":
                        rows[name] = asyncio.run(_single(url, asked, concurrency, out))
                    else:
                        rows[name] = asyncio.run(_dask(url, asked, concurrency, out, workers))
                finally:
                    _stop(fake)
            scenarios.append({"event_delay": delay, "rows": rows})
    return {
        "questions": questions,
        "concurrency": concurrency,
        "events_per_answer": 29,
        "scenarios": scenarios,
    }


def render(result: dict[str, Any]) -> str:
    """The markdown section."""
    lines = [
        BEGIN,
        "## Batch at scale (Dask)",
        "",
        f"{result['questions']:,} questions at concurrency {result['concurrency']} "
        "(`textql-async batch` in one process vs `textql_async.distributed.run_batch` on a "
        "`LocalCluster` of 2 worker processes, what `--dask local:2` starts), fake answers of "
        f"{result['events_per_answer']} events, fake server in its own process. Client CPU: "
        "the process that writes `out` (for Dask it also hosts the scheduler); worker CPU: "
        "the Dask workers' processes. Noisy: the fake, the client and the workers share 2 "
        "cores with other jobs.",
        "",
        "| events paced | run | wall (s) | answers/s | client CPU per answer (ms) | worker CPU per answer (ms) | answered |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    startup: list[float] = []
    for scenario in result["scenarios"]:
        pacing = f"{scenario['event_delay'] * 1000:g} ms"
        for name, row in scenario["rows"].items():
            answers = max(1, row["answers"])
            lines.append(
                f"| {pacing} | {name} | {row['wall']:.2f} | {row['answers'] / row['wall']:.0f} | "
                f"{row['client_cpu'] / answers * 1000:.2f} | "
                f"{row['worker_cpu'] / answers * 1000:.2f} | {row['answers']:,} |"
            )
            if "startup" in row:
                startup.append(row["startup"])
    if startup:
        lines += [
            "",
            f"Starting the local cluster (not in the wall times): {max(startup):.1f} s at most.",
        ]
    lines += [END, ""]
    return "\n".join(lines)


def update_results(result: dict[str, Any], path: Path) -> None:
    """Replace (or append) the section in ``path``."""
    text = path.read_text() if path.exists() else ""
    section = render(result)
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.batch_dask", description=__doc__)
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--event-delay", type=float, action="append", help="pacing(s) to run (default: 0.01, 0)"
    )
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    result = run(args.questions, args.concurrency, tuple(args.event_delay or PACINGS))
    print(render(result))
    update_results(result, args.out)
    (args.out.parent / "batch_dask.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
