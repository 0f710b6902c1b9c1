"""Load on the FastAPI relay: 500 SSE readers spread over two replicas on 20 concurrent answers.

    python -m benchmarks.relay_load [--readers 500] [--answers 20] [--event-delay 0.1]

Real parts: one ``redis-server`` (Debian's), FakeTextQL in its own process, two
``python examples/fastapi_relay/app.py`` replicas (uvicorn inside) on that Redis. The 20
answers are started round-robin on the replicas (one owner each); reader ``j`` reads answer
``j % answers`` from replica ``(j // answers) % 2``, so every answer is read on both. Each
reader reads its event stream to ``done``, folds it, and must end with the answer's final
state (``GET /answers/{id}``), which must equal the fake's script; the fake must have seen
one ``/api/ana`` per answer. Reported: wall time, per-reader time to ``done``, peak RSS per
replica (``VmHWM``) and Redis memory (``INFO memory``). A benchmark, never a timed test; it
writes ``benchmarks/relay_load.json`` and the relay section of ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import pathlib
import platform
import socket
import statistics
import sys
import tempfile
import time
from types import ModuleType
from typing import Any

import aiohttp

ROOT = pathlib.Path(__file__).resolve().parents[1]
KIT = ROOT / "tests" / "fastapi_relay" / "_fastapi_relay_kit.py"
RESULTS = pathlib.Path(__file__).with_name("RESULTS.md")
JSON_OUT = pathlib.Path(__file__).with_name("relay_load.json")
BEGIN, END = "<!-- relay-load:begin -->", "<!-- relay-load:end -->"


def _kit() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_fastapi_relay_kit", KIT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def proc_kib(pid: int, field: str) -> int:
    """``VmRSS`` / ``VmHWM`` (peak RSS) of a process, in KiB, from ``/proc``."""
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def redis_info(port: int, section: str = "memory") -> dict[str, str]:
    """``INFO section`` over a raw socket (no client library needed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"INFO {section}\r\n".encode())
        data = b""
        while b"\r\n" not in data:
            data += sock.recv(65536)
        header, _, rest = data.partition(b"\r\n")
        size = int(header[1:])
        while len(rest) < size:
            rest += sock.recv(65536)
    info = {}
    for line in rest[:size].decode().splitlines():
        key, sep, value = line.partition(":")
        if sep:
            info[key] = value
    return info


def redis_dbsize(port: int) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"DBSIZE\r\n")
        return int(sock.recv(64).strip()[1:])


async def reader(
    kit: ModuleType, http: aiohttp.ClientSession, url: str, answer_id: str, owner: str
) -> dict[str, Any]:
    began = time.perf_counter()
    frames = []
    async with http.get(
        url + f"/answers/{answer_id}/events", headers={"X-User": owner}
    ) as resp:
        assert resp.status == 200, (resp.status, await resp.text())
        async for frame in kit.sse_frames(resp):
            frames.append(frame)
    seqs = [f.seq for f in frames]
    return {
        "answer_id": answer_id,
        "seconds": time.perf_counter() - began,
        "events": len(frames),
        "contiguous": None not in seqs and seqs == list(range(seqs[0], seqs[0] + len(seqs))),
        "done": bool(frames) and frames[-1].event == "done",
        "blocks": kit.fold_events(frames),
    }


async def load(kit: ModuleType, replicas: list[Any], fake: Any, answers: int, readers: int) -> dict[str, Any]:
    peaks = {r.name: 0 for r in replicas}
    stop = asyncio.Event()

    async def sample() -> None:
        while not stop.is_set():
            for r in replicas:
                peaks[r.name] = max(peaks[r.name], proc_kib(r.pid, "VmRSS"))
            await asyncio.sleep(0.1)

    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        sampler = asyncio.ensure_future(sample())
        began = time.perf_counter()
        questions = [f"Which store has the largest floor space? (load {i})" for i in range(answers)]
        owners = [f"tenant-{i}" for i in range(answers)]

        async def start(i: int) -> str:
            replica = replicas[i % len(replicas)]
            async with http.post(
                replica.url + "/answers",
                json={"question": questions[i]},
                headers={"X-User": owners[i]},
            ) as resp:
                assert resp.status == 201, await resp.text()
                return str((await resp.json())["answer_id"])

        ids = await asyncio.gather(*(start(i) for i in range(answers)))
        results = await asyncio.gather(
            *(
                reader(
                    kit,
                    http,
                    replicas[(j // answers) % len(replicas)].url,
                    ids[j % answers],
                    owners[j % answers],
                )
                for j in range(readers)
            )
        )
        wall = time.perf_counter() - began
        stop.set()
        await sampler
        finals = {}
        for i, answer_id in enumerate(ids):
            async with http.get(
                replicas[0].url + f"/answers/{answer_id}", headers={"X-User": owners[i]}
            ) as resp:
                finals[answer_id] = await resp.json()
    scripts = {c["chat_id"]: c["script"] for c in fake.chats()}
    asks = [r for r in fake.requests() if r["path"] == "/api/ana"]
    ok = 0
    for result in results:
        final = finals[result["answer_id"]]
        if (
            result["done"]
            and result["contiguous"]
            and final["done"]
            and kit.typed(result["blocks"]) == kit.typed(final["blocks"])
            and kit.typed(final["blocks"]) == kit.typed(scripts[final["chat_id"]])
        ):
            ok += 1
    times = sorted(r["seconds"] for r in results)
    return {
        "wall_seconds": wall,
        "readers_ok": ok,
        "events_delivered": sum(r["events"] for r in results),
        "reader_seconds_p50": statistics.median(times),
        "reader_seconds_p99": times[max(0, int(len(times) * 0.99) - 1)],
        "upstream_asks": len(asks),
        "rss_sampled_peak_kib": peaks,
    }


def run(readers: int, answers: int, event_delay: float) -> dict[str, Any]:
    kit = _kit()
    redis_kit = kit.redis_kit()
    binary = redis_kit.ensure_redis_server(skip=False)
    if binary is None:
        raise SystemExit("redis-server is missing and apt-get could not install it")
    redis = redis_kit.RedisServer(binary)
    redis.start()
    with tempfile.TemporaryDirectory(prefix="relay-load-") as tmp:
        logs = pathlib.Path(tmp)
        fake = kit.FakeProcess(logs, event_delay)
        replicas = []
        try:
            env = {
                "REDIS_URL": redis.url,
                "TEXTQL_API_KEY": "test-key",
                "TEXTQL_MEMBER_ID": "test-member",
                "TEXTQL_BASE_URL": fake.url,
            }
            replicas = [kit.Replica(name, logs, env) for name in ("replica-a", "replica-b")]
            for replica in replicas:
                replica.wait()
            idle = {r.name: proc_kib(r.pid, "VmRSS") for r in replicas}
            redis_before = redis_info(redis.port)
            measured = asyncio.run(load(kit, replicas, fake, answers, readers))
            hwm = {r.name: proc_kib(r.pid, "VmHWM") for r in replicas}
            redis_after = redis_info(redis.port)
            clients = int(redis_info(redis.port, "clients")["connected_clients"])
            keys = redis_dbsize(redis.port)
        finally:
            for replica in replicas:
                replica.stop()
            fake.stop()
            redis.close()
    return {
        "readers": readers,
        "answers": answers,
        "event_delay": event_delay,
        "machine": f"{_cpu()}, {_cores()} cores, CPython {platform.python_version()}",
        "rss_idle_kib": idle,
        "rss_peak_kib": hwm,
        "redis_used_memory_before": int(redis_before["used_memory"]),
        "redis_used_memory_after": int(redis_after["used_memory"]),
        "redis_used_memory_peak": int(redis_after["used_memory_peak"]),
        "redis_dataset_after": int(redis_after["used_memory_dataset"]),
        "redis_clients_after": clients,
        "redis_keys_after": keys,
        **measured,
    }


def _cpu() -> str:
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


def markdown(r: dict[str, Any]) -> str:
    mb = 1024.0
    rows = [
        ("readers that ended with their answer's final state", f"{r['readers_ok']} of {r['readers']}"),
        ("upstream `/api/ana` requests (one per answer)", f"{r['upstream_asks']} for {r['answers']} answers"),
        ("wall time, first start to last reader done", f"{r['wall_seconds']:.1f} s"),
        ("per reader, time to `done` (p50 / p99)", f"{r['reader_seconds_p50']:.2f} s / {r['reader_seconds_p99']:.2f} s"),
        ("events delivered", f"{r['events_delivered']:,} ({r['events_delivered'] / r['readers']:.1f} per reader)"),
    ]
    for name in sorted(r["rss_peak_kib"]):
        rows.append(
            (
                f"{name}: RSS idle -> peak (VmHWM)",
                f"{r['rss_idle_kib'][name] / mb:.0f} MB -> {r['rss_peak_kib'][name] / mb:.0f} MB",
            )
        )
    rows.append(
        (
            "Redis used_memory: before -> after (peak)",
            f"{r['redis_used_memory_before'] / 2**20:.1f} MB -> {r['redis_used_memory_after'] / 2**20:.1f} MB "
            f"({r['redis_used_memory_peak'] / 2**20:.1f} MB), {r['redis_clients_after']} client connections open",
        )
    )
    rows.append(
        (
            "Redis dataset after (the answers' logs, states, leases)",
            f"{r['redis_dataset_after'] / 2**20:.2f} MB in {r['redis_keys_after']} keys "
            f"({r['redis_dataset_after'] / max(1, r['answers']) / 1024:.0f} KiB per answer)",
        )
    )
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    return (
        f"{BEGIN}\n## Relay load (`python -m benchmarks.relay_load`)\n\n"
        f"{r['readers']} SSE readers spread over two uvicorn replicas of `examples/fastapi_relay` "
        f"on one Redis, {r['answers']} concurrent answers, FakeTextQL in its own process pacing "
        f"events by {r['event_delay'] * 1000:.0f} ms; {r['machine']}, measured "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.\n\n"
        f"| measurement | result |\n| --- | --- |\n{table}\n{END}\n"
    )


def write(r: dict[str, Any]) -> None:
    JSON_OUT.write_text(json.dumps(r, indent=2) + "\n")
    section = markdown(r)
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if BEGIN in text and END in text:
        head, _, rest = text.partition(BEGIN)
        _, _, tail = rest.partition(END + "\n")
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=500)
    parser.add_argument("--answers", type=int, default=20)
    parser.add_argument("--event-delay", type=float, default=0.1)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    result = run(args.readers, args.answers, args.event_delay)
    print(markdown(result))
    if not args.no_write:
        write(result)
    if result["readers_ok"] != result["readers"] or result["upstream_asks"] != result["answers"]:
        raise SystemExit("relay load: some readers did not end with the final state (see above)")


if __name__ == "__main__":
    main()
