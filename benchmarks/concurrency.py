"""N simultaneous Ana streams against :class:`FakeTextQL`, one process per level.

``python -m benchmarks.concurrency N`` runs FakeTextQL and one :class:`AsyncTextQL` in one
process and event loop, starts ``N`` streams at once (``client.ana.stream(q,
coalesce=True)``, read to the end as ``ask()`` does, noting when the first block update
arrives), and prints one JSON line: wall time, CPU time, peak RSS, and the p50/p99 time to
first block. A fresh process per level keeps peak RSS clean. ``python -m
benchmarks.concurrency serve DELAY`` runs FakeTextQL alone, for the client in another
process (``client URL N``).

The answer is the fake server's default answer (a text block growing word by word, a
Python block gaining results, an Ontology block, the final answer: 40 events, 5 KB).
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["LEVELS", "MODES", "run_level"]

ROOT = Path(__file__).resolve().parent.parent


def _pythonpath() -> str:
    """The caller's PYTHONPATH (if any) first, then the repository (for ``benchmarks``)."""
    return os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p)


LEVELS = (1, 10, 100, 1000)


def _rss_mb() -> float:
    """Peak RSS of this process in MB.

    ``VmHWM`` (the high-water mark of this process's memory) where Linux has it:
    ``getrusage``'s ``ru_maxrss`` survives ``exec``, so a child of a big parent would report
    the parent's peak. Elsewhere ``ru_maxrss``.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def _one(client: Any, question: str, t0: float) -> tuple[float, float, int]:
    first = -1.0
    async with client.ana.stream(question, coalesce=True) as stream:
        async for _update in stream:
            if first < 0:
                first = time.perf_counter() - t0
    blocks = len(stream.snapshot.blocks)
    return first, time.perf_counter() - t0, blocks


async def _streams(client: Any, n: int) -> dict[str, Any]:
    await _one(client, "warm-up", time.perf_counter())  # imports, first connection
    base_rss = _rss_mb()
    cpu = time.process_time()
    t0 = time.perf_counter()
    done = await asyncio.gather(*(_one(client, f"question {i}", t0) for i in range(n)))
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu
    firsts = sorted(d[0] for d in done)
    return {
        "streams": n,
        "wall": wall,
        "cpu": cpu,
        "rss_mb": _rss_mb(),
        "rss_before_mb": base_rss,
        "ttfb_p50": _percentile(firsts, 50),
        "ttfb_p99": _percentile(firsts, 99),
        "ttfb_max": firsts[-1],
        "blocks": sum(d[2] for d in done),
    }


async def _level_in_process(n: int, delay: float) -> dict[str, Any]:
    """FakeTextQL and the client on one event loop, in this process."""
    from textql_async.testing import FakeTextQL

    async with FakeTextQL(event_delay=delay) as fake:
        async with fake.client(max_connections=max(n, 1), max_retries=0) as client:
            row = await _streams(client, n)
        row["requests"] = len(fake.requests) - 1
    return row


async def _level_client(url: str, n: int, profile: bool = False) -> dict[str, Any]:
    """Only the client in this process; FakeTextQL runs in another (see :func:`_serve`).

    With ``profile``, the N streams run under cProfile and the result is where the client's
    CPU time went, by package (the timings are then not representative).
    """
    from textql_async import AsyncTextQL

    async with AsyncTextQL(
        api_key=_KEY, member_id=_MEMBER, base_url=url, max_connections=max(n, 1), max_retries=0
    ) as client:
        if not profile:
            return await _streams(client, n)
        import cProfile

        from benchmarks.micro import profile_groups

        await _one(client, "warm-up", time.perf_counter())
        profiler = cProfile.Profile()
        profiler.enable()
        row = await _streams(client, n)
        profiler.disable()
        row["profile_ms"] = profile_groups(profiler)
        return row


_KEY = "test-key"
_MEMBER = "test-member"


async def _serve(delay: float) -> None:
    from textql_async.testing import FakeTextQL

    async with FakeTextQL(_KEY, _MEMBER, event_delay=delay) as fake:
        print(f"PORT {fake.port}", flush=True)
        await asyncio.Event().wait()


def _percentile(values: list[float], pct: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1]


def _python(*args: str, **kwargs: Any) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": _pythonpath()}
    return subprocess.Popen(
        [sys.executable, "-m", "benchmarks.concurrency", *args],
        cwd=ROOT,
        env=env,
        text=True,
        **kwargs,
    )


def _result(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, _ = proc.communicate(timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"concurrency level failed ({proc.returncode})")
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def run_level(
    n: int,
    *,
    delay: float = 0.0,
    separate_server: bool = False,
    profile: bool = False,
    loop: str = "asyncio",
) -> dict[str, Any]:
    """Run one level in a fresh Python process (and the fake in another, if asked); with a
    separate server, the client runs on ``loop`` (``"asyncio"`` or ``"uvloop"``)."""
    if not separate_server:
        return _result(_python("inproc", str(n), str(delay), stdout=subprocess.PIPE))
    server = _python("serve", str(delay), stdout=subprocess.PIPE)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"fake server did not start: {line!r}")
        url = f"http://127.0.0.1:{int(line.split()[1])}"
        args = ("client", url, str(n), *(["profile"] if profile else []), loop)
        return _result(_python(*args, stdout=subprocess.PIPE))
    finally:
        server.terminate()
        server.wait(10)
        if server.stdout is not None:
            server.stdout.close()


MODES = {
    "burst": {"delay": 0.0, "separate_server": False},
    "paced": {"delay": 0.02, "separate_server": True},
}


def main() -> None:
    command, *args = sys.argv[1:]
    if command == "serve":
        try:
            asyncio.run(_serve(float(args[0])))
        except KeyboardInterrupt:
            pass
        return
    if command == "inproc":
        row = asyncio.run(_level_in_process(int(args[0]), float(args[1])))
    elif command == "client":
        from benchmarks.relay_cpu import run_on

        options = args[2:]
        loop = "uvloop" if "uvloop" in options else "asyncio"
        row = run_on(loop, _level_client(args[0], int(args[1]), profile="profile" in options))
        row["loop"] = loop
    else:
        raise SystemExit("usage: python -m benchmarks.concurrency inproc N DELAY | serve DELAY")
    print(json.dumps(row))


if __name__ == "__main__":
    main()
