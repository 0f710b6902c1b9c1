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

:func:`run_paced` is issue 15's "1,000 paced streams" target measured against floors: the
same N streams from a client process per contender, interleaved, on each loop, against a
server in its own process whose CPU time during the N streams is recorded too (read from
``/proc/<pid>/stat`` by the client right before and after its gather). Contenders
(:data:`CONTENDERS`):

- ``ours``: ``client.ana.stream(q, coalesce=True)`` read to the end;
- ``floor``: a bare ``aiohttp.ClientSession`` (same connection limit, timeout and
  credentials) reading ``resp.content.iter_any()`` into :class:`AnaDecoder`
  (``coalesce=True``), the first block update noted: the minimum any Python client on
  aiohttp pays to get the first block;
- ``raw``: the same session, time until the bytes ``event: block`` first arrive: aiohttp's
  transport alone.

Servers (:data:`SERVERS`): ``fake`` is FakeTextQL (``event_delay``); ``lean`` is
``benchmarks/server.py --paced`` (the same answer, pre-built bytes, a sleep and a write per
event and nothing else).
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

__all__ = ["CONTENDERS", "LEVELS", "MODES", "SERVERS", "run_level", "run_paced"]

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
    if isinstance(client, _Bare):
        return await client.one(question, t0)
    first = -1.0
    async with client.ana.stream(question, coalesce=True) as stream:
        async for _update in stream:
            if first < 0:
                first = time.perf_counter() - t0
    blocks = len(stream.snapshot.blocks)
    return first, time.perf_counter() - t0, blocks


async def _streams(client: Any, n: int, server_pid: int | None = None) -> dict[str, Any]:
    await _one(client, "warm-up", time.perf_counter())  # imports, first connection
    base_rss = _rss_mb()
    server_cpu = _proc_cpu(server_pid)
    cpu = time.process_time()
    t0 = time.perf_counter()
    done = await asyncio.gather(*(_one(client, f"question {i}", t0) for i in range(n)))
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu
    server_after = _proc_cpu(server_pid)
    firsts = sorted(d[0] for d in done)
    return {
        "streams": n,
        "wall": wall,
        "cpu": cpu,
        "server_cpu": None
        if server_cpu is None or server_after is None
        else server_after - server_cpu,
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


_MARK = b"event: block"


async def _bare_one(
    session: Any, url: str, question: str, t0: float, decode: bool
) -> tuple[float, float, int]:
    """One stream on a bare aiohttp session: the ``floor`` (decode) or ``raw`` contender."""
    from textql_async.sansio.chunked import AnaDecoder

    first = -1.0
    decoder = AnaDecoder()
    fold = decoder.fold
    tail = b""
    async with session.get(f"{url}/api/ana", params={"query": question}) as response:
        response.raise_for_status()
        async for chunk in response.content.iter_any():
            if decode:
                if decoder.feed(chunk, coalesce=True) and first < 0:
                    first = time.perf_counter() - t0
                if fold.done:
                    break
            elif first < 0:
                if _MARK in tail + chunk:
                    first = time.perf_counter() - t0
                tail = chunk[-len(_MARK) :]
    blocks = len(fold.snapshot.blocks) if decode else 4  # raw: the answer's 4 blocks
    return first, time.perf_counter() - t0, blocks


class _Bare:
    """A bare aiohttp session set up as :class:`AsyncTextQL` sets up its own, for the floors."""

    def __init__(self, url: str, n: int, decode: bool) -> None:
        import base64

        import aiohttp

        token = base64.b64encode(f"{_MEMBER}:{_KEY}".encode()).decode()
        self.url = url
        self.decode = decode
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=max(n, 1)),
            timeout=aiohttp.ClientTimeout(total=None),
            headers={"Authorization": f"Basic {token}"},
            trust_env=False,
        )

    async def one(self, question: str, t0: float) -> tuple[float, float, int]:
        return await _bare_one(self.session, self.url, question, t0, self.decode)


def _proc_cpu(pid: int | None) -> float | None:
    """CPU seconds (user + system) process ``pid`` used so far, from ``/proc`` (Linux only)."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _bare_streams(url: str, n: int, contender: str, server_pid: int | None) -> dict[str, Any]:
    bare = _Bare(url, n, decode=contender == "floor")
    try:
        return await _streams(bare, n, server_pid)
    finally:
        await bare.session.close()


async def _level_client(
    url: str, n: int, profile: bool = False, contender: str = "ours", server_pid: int | None = None
) -> dict[str, Any]:
    """Only the client in this process; the server runs in another (see :func:`_serve`).

    With ``profile``, the N streams run under cProfile and the result is where the client's
    CPU time went, by package (the timings are then not representative). ``contender``
    ``floor`` or ``raw`` runs a bare aiohttp session instead of ours (see the module doc).
    """
    from textql_async import AsyncTextQL

    if contender != "ours":
        return await _bare_streams(url, n, contender, server_pid)
    async with AsyncTextQL(
        api_key=_KEY, member_id=_MEMBER, base_url=url, max_connections=max(n, 1), max_retries=0
    ) as client:
        if not profile:
            return await _streams(client, n, server_pid)
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


def _python(
    *args: str, module: str = "benchmarks.concurrency", **kwargs: Any
) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": _pythonpath()}
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
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


SERVERS = ("fake", "lean")
CONTENDERS = ("ours", "floor", "raw")


class _Server:
    """A paced server in its own process: ``fake`` (FakeTextQL) or ``lean`` (benchmarks.server)."""

    def __init__(self, kind: str, delay: float, loop: str = "asyncio") -> None:
        if kind == "fake":
            self.proc = _python("serve", str(delay), loop, stdout=subprocess.PIPE)
        elif kind == "lean":
            self.proc = _python(
                "--paced", str(delay), loop, module="benchmarks.server", stdout=subprocess.PIPE
            )
        else:
            raise ValueError(f"server must be one of {SERVERS}, got {kind!r}")
        try:
            assert self.proc.stdout is not None
            line = self.proc.stdout.readline()
            if not line.startswith("PORT "):
                raise RuntimeError(f"{kind} server did not start: {line!r}")
        except BaseException:
            self.close()
            raise
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"

    def client(
        self, n: int, loop: str, contender: str = "ours", profile: bool = False
    ) -> dict[str, Any]:
        args = ["client", self.url, str(n), loop, f"contender={contender}", f"pid={self.proc.pid}"]
        return _result(_python(*args, *(["profile"] if profile else []), stdout=subprocess.PIPE))

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def run_level(
    n: int,
    *,
    delay: float = 0.0,
    separate_server: bool = False,
    profile: bool = False,
    loop: str = "asyncio",
    server: str = "fake",
    contender: str = "ours",
    server_loop: str = "asyncio",
) -> dict[str, Any]:
    """Run one level in a fresh Python process (and the server in another, if asked); with a
    separate server, the client runs on ``loop`` (``"asyncio"`` or ``"uvloop"``), as
    ``contender`` (:data:`CONTENDERS`), against ``server`` (:data:`SERVERS`)."""
    if not separate_server:
        return _result(_python("inproc", str(n), str(delay), stdout=subprocess.PIPE))
    running = _Server(server, delay, server_loop)
    try:
        return running.client(n, loop, contender, profile)
    finally:
        running.close()


def run_paced(
    levels: tuple[int, ...] = (1, 1000),
    *,
    delay: float = 0.02,
    loops: tuple[str, ...] = ("asyncio", "uvloop"),
    contenders: tuple[str, ...] = CONTENDERS,
    servers: tuple[str, ...] = SERVERS,
    rounds: int = 3,
    server_loop: str = "asyncio",
) -> dict[str, Any]:
    """Every contender x loop x level against each server, interleaved, ``rounds`` times.

    A fresh server process (on ``server_loop``; asyncio by default: FakeTextQL on uvloop
    left a tail of streams whose first block came ~1 s late, p99 1.7 s against p50 0.5 s,
    which measures the server) and a fresh client process per measurement: the fake keeps every chat and request it
    served, so a long-lived one grows slower (its collector walks a bigger heap) and later
    contenders would pay for earlier ones. Each round rotates the order of servers, loops
    and contenders, so drift on a shared machine falls on all of them alike. Returns
    ``{"options", "rows"}``, one row per measurement (``server``, ``loop``, ``contender``,
    ``round`` and :func:`_streams`'s figures, ``server_cpu`` included).
    """
    from benchmarks.relay_cpu import loop_available

    loops = tuple(lp for lp in loops if loop_available(lp))
    rows: list[dict[str, Any]] = []
    order = [(k, lp, c) for k in servers for lp in loops for c in contenders]
    for n in levels:
        for r in range(rounds):
            shift = (r * (len(contenders) + 1)) % len(order)
            for kind, lp, c in order[shift:] + order[:shift]:
                running = _Server(kind, delay, server_loop)
                try:
                    row = running.client(n, lp, c)
                finally:
                    running.close()
                rows.append({**row, "server": kind, "loop": lp, "contender": c, "round": r})
    options = {
        "delay": delay,
        "levels": list(levels),
        "loops": list(loops),
        "contenders": list(contenders),
        "servers": list(servers),
        "rounds": rounds,
        "server_loop": server_loop,
    }
    return {"options": options, "rows": rows}


MODES = {
    "burst": {"delay": 0.0, "separate_server": False},
    "paced": {"delay": 0.02, "separate_server": True},
}


def main() -> None:
    command, *args = sys.argv[1:]
    if command == "serve":
        from benchmarks.relay_cpu import run_on

        try:
            run_on(args[1] if len(args) > 1 else "asyncio", _serve(float(args[0])))
        except KeyboardInterrupt:
            pass
        return
    if command == "inproc":
        row = asyncio.run(_level_in_process(int(args[0]), float(args[1])))
    elif command == "client":
        from benchmarks.relay_cpu import run_on

        options = args[2:]
        loop = "uvloop" if "uvloop" in options else "asyncio"
        named = dict(o.split("=", 1) for o in options if "=" in o)
        pid = int(named["pid"]) if "pid" in named else None
        coro = _level_client(
            args[0], int(args[1]), "profile" in options, named.get("contender", "ours"), pid
        )
        row = run_on(loop, coro)
        row["loop"] = loop
    else:
        raise SystemExit("usage: python -m benchmarks.concurrency inproc N DELAY | serve DELAY")
    print(json.dumps(row))


if __name__ == "__main__":
    main()
