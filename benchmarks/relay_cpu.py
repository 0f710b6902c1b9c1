"""What a backend pays to relay one answer, against the raw transport, on both event loops.

The server (:mod:`benchmarks.server`) runs in its own process; the client runs in a child
process per loop (``asyncio`` and ``uvloop``, alternating), each timing its contenders in
interleaved rounds. Workloads (the rows of issue 15):

- ``short``: the short answer (about 2.7 KB, 23 events, one write), ``N`` asks at once
  through ``asyncio.gather``; the figure is the client's CPU time per answer;
- ``big@65536`` / ``big@1048576``: the realistic long answer (200 blocks) written in 64 KiB
  or 1 MiB pieces; the figure is the wall time of one answer;
- ``big@event``: the same bytes, one write per event, as a real SSE server writes them.

Contenders, on the same connection pool settings (256 connections):

- ``raw``: ``session.get`` and ``resp.content.iter_any()`` to EOF: the transport's cost;
- ``floor``: the raw read plus :class:`AnaDecoder` (``coalesce=True``, as ``ask()``) and the
  :class:`AnaResult`: the floor for any client that decodes and folds in Python on aiohttp,
  measured the same way (what ``ask()`` adds on top of it is our streaming machinery);
- ``ask``: ``client.ana.ask(q)`` through :class:`AsyncTextQL`.

``python -m benchmarks.relay_cpu client URL LOOP ROUNDS N`` prints one JSON line;
``... profile URL LOOP WORKLOAD N`` prints the profile of ``ask`` (and of ``raw``).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

from textql_async import AsyncTextQL
from textql_async._streaming import result_from_snapshot
from textql_async.sansio.chunked import AnaDecoder

__all__ = ["LOOPS", "WORKLOADS", "bench_relay", "loop_available", "profile_relay", "run_on"]

ROOT = Path(__file__).resolve().parent.parent
LOOPS = ("asyncio", "uvloop")
SHORT = "short"
WORKLOADS = {
    SHORT: "short answer, N asks via gather: client CPU per answer",
    "big@65536": "big answer written in 64 KiB pieces: wall per answer",
    "big@1048576": "big answer written in 1 MiB pieces: wall per answer",
    "big@event": "big answer, one write per event: client CPU per answer",
}
CONTENDERS = ("raw", "floor", "ask")
_CONNECTIONS = 256


def loop_available(loop: str) -> bool:
    """Whether ``loop`` can run here (uvloop is the ``speed`` extra)."""
    if loop == "asyncio":
        return True
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


def _new_loop(loop: str) -> asyncio.AbstractEventLoop:
    if loop == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def run_on(loop: str, coro: Awaitable[Any]) -> Any:
    """Run ``coro`` to its end on a new ``loop`` (``asyncio`` or ``uvloop``)."""
    event_loop = _new_loop(loop)
    try:
        return event_loop.run_until_complete(coro)
    finally:
        event_loop.run_until_complete(event_loop.shutdown_asyncgens())
        event_loop.close()


# -- the contenders -------------------------------------------------------------------------


async def _raw(session: aiohttp.ClientSession, url: str, name: str) -> int:
    size = 0
    async with session.get(f"{url}/api/ana", params={"query": name}) as response:
        async for chunk in response.content.iter_any():
            size += len(chunk)
    return size


async def _floor(session: aiohttp.ClientSession, url: str, name: str) -> object:
    decoder = AnaDecoder()
    fold = decoder.fold
    async with session.get(f"{url}/api/ana", params={"query": name}) as response:
        async for chunk in response.content.iter_any():
            decoder.feed(chunk, coalesce=True)
            if fold.done:
                break
    return result_from_snapshot(fold.snapshot)


async def _ask(client: AsyncTextQL, name: str) -> object:
    return await client.ana.ask(name)


def _contenders(
    session: aiohttp.ClientSession, client: AsyncTextQL, url: str
) -> dict[str, Callable[[str], Awaitable[object]]]:
    return {
        "raw": lambda name: _raw(session, url, name),
        "floor": lambda name: _floor(session, url, name),
        "ask": lambda name: _ask(client, name),
    }


async def _once(run: Callable[[str], Awaitable[object]], name: str, n: int) -> tuple[float, float]:
    """(wall s, CPU s) of ``n`` concurrent runs (one for the big workloads)."""
    gc.collect()
    await asyncio.sleep(0)
    cpu = time.process_time()
    wall = time.perf_counter()
    if n == 1:
        await run(name)
    else:
        await asyncio.gather(*(run(name) for _ in range(n)))
    return time.perf_counter() - wall, time.process_time() - cpu


def _session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=_CONNECTIONS))


def _client(url: str) -> AsyncTextQL:
    return AsyncTextQL(
        api_key="bench-key", base_url=url, max_retries=0, max_connections=_CONNECTIONS
    )


async def _client_rounds(url: str, rounds: int, n: int, workloads: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {w: {c: {"wall": [], "cpu": []} for c in CONTENDERS} for w in workloads}
    async with _session() as session, _client(url) as client:
        runs = _contenders(session, client, url)
        for workload in workloads:  # warm-up: connections, imports, caches
            count = min(n, 64) if workload == SHORT else 1
            for run in runs.values():
                await _once(run, workload, count)
        for round_ in range(rounds):
            for workload in workloads:
                count = n if workload == SHORT else 1
                order = CONTENDERS if round_ % 2 == 0 else CONTENDERS[::-1]
                for name in order:
                    wall, cpu = await _once(runs[name], workload, count)
                    out[workload][name]["wall"].append(wall)
                    out[workload][name]["cpu"].append(cpu)
    return out


async def _profile(url: str, workload: str, n: int) -> dict[str, Any]:
    import cProfile

    from benchmarks.micro import profile_groups, profile_rows

    count = n if workload == SHORT else 1
    result: dict[str, Any] = {}
    async with _session() as session, _client(url) as client:
        runs = _contenders(session, client, url)
        for name in ("raw", "ask"):
            await _once(runs[name], workload, min(count, 64))  # warm-up
            profiler = cProfile.Profile()
            profiler.enable()
            await _once(runs[name], workload, count)
            profiler.disable()
            result[name] = {
                "groups_ms": profile_groups(profiler),
                "top": profile_rows(profiler, 14) if name == "ask" else [],
                "answers": count,
            }
    return result


# -- the parent: child processes per loop ---------------------------------------------------


def _pythonpath() -> str:
    return os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p)


def _child(*args: str, module: str = "benchmarks.relay_cpu") -> dict[str, Any]:
    """Run ``python -m module args`` (a benchmark's child process); its last JSON line."""
    env = {**os.environ, "PYTHONPATH": _pythonpath()}
    proc = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"relay benchmark child failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def bench_relay(
    url: str, *, n: int, rounds: int, repeats: int, workloads: list[str]
) -> dict[str, Any]:
    """Every workload x contender on every available loop: ``repeats`` child processes per
    loop (alternating loops), ``rounds`` interleaved rounds each; medians."""
    loops = [loop for loop in LOOPS if loop_available(loop)]
    times: dict[str, Any] = {
        loop: {w: {c: {"wall": [], "cpu": []} for c in CONTENDERS} for w in workloads}
        for loop in loops
    }
    for repeat in range(repeats):
        for loop in loops if repeat % 2 == 0 else loops[::-1]:
            got = _child("client", url, loop, str(rounds), str(n), ",".join(workloads))
            for workload, per in got.items():
                for contender, values in per.items():
                    for key in ("wall", "cpu"):
                        times[loop][workload][contender][key] += values[key]
    return {
        "answers": n,
        "rounds": rounds * repeats,
        "loops": loops,
        "missing_loops": [loop for loop in LOOPS if loop not in loops],
        "workloads": dict(WORKLOADS),
        "times": times,
    }


def profile_relay(url: str, *, n: int, workloads: list[str]) -> dict[str, Any]:
    """cProfile of ``ask`` and ``raw`` on each workload (asyncio loop)."""
    return {w: _child("profile", url, "asyncio", w, str(n)) for w in workloads}


def main() -> None:
    command, url, loop, *rest = sys.argv[1:]
    if command == "client":
        rounds, n, workloads = int(rest[0]), int(rest[1]), rest[2].split(",")
        row = run_on(loop, _client_rounds(url, rounds, n, workloads))
    elif command == "profile":
        row = run_on(loop, _profile(url, rest[0], int(rest[1])))
    else:
        raise SystemExit("usage: python -m benchmarks.relay_cpu client|profile URL LOOP ...")
    print(json.dumps(row))


if __name__ == "__main__":
    main()
