"""End to end over loopback: a minimal aiohttp server (its own process) writes the bytes.

Contenders, interleaved on one client event loop:

- ``raw aiohttp read`` - ``session.get`` and ``resp.content.iter_any()`` to EOF: the
  physical limit of this transport;
- ``raw read + bytes.split`` - the same, each chunk split on blank lines: the floor for any
  event framing done in Python on this transport;
- ``ours: ask()`` - ``client.ana.ask(q)`` through :class:`AsyncTextQL`;
- ``ours: stream() async for`` - ``async for update in client.ana.stream(q)``, every version;
- ``aiohttp-sse-client EventSource + json + fold`` - ``EventSource(max_connect_retry=0)``,
  ``json.loads``, :class:`DictFold`, closed at ``done``.

Also the slow-consumer measurement: a consumer that sleeps after every item it receives,
while the server writes as fast as it can.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp_sse_client.client import EventSource

from benchmarks.contenders import DictFold, outcome
from benchmarks.micro import count_decoded_blocks
from benchmarks.timing import interleaved_async, median
from textql_async import AsyncTextQL

__all__ = [
    "E2E_LABELS",
    "bench_end_to_end",
    "bench_slow_consumer",
    "count_decoded_blocks",
    "loopback_server",
]

ROOT = Path(__file__).resolve().parent.parent


def _pythonpath() -> str:
    """The caller's PYTHONPATH (if any) first, then the repository (for ``benchmarks``)."""
    return os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p)


RAW = "raw"
RAW_SPLIT = "raw_split"
ASK = "ask"
STREAM = "stream"
EVENTSOURCE = "eventsource"
E2E_LABELS = {
    RAW: "raw aiohttp read to EOF (transport limit)",
    RAW_SPLIT: "raw read + bytes.split (floor for framing in Python)",
    ASK: "ours: client.ana.ask()",
    STREAM: "ours: client.ana.stream() async for (every version)",
    EVENTSOURCE: "aiohttp-sse-client EventSource + json + fold",
}


@contextlib.contextmanager
def loopback_server(streams: Mapping[str, bytes]) -> Iterator[str]:
    """Run :mod:`benchmarks.server` in a child process serving ``streams``; yield its URL."""
    with tempfile.TemporaryDirectory(prefix="textql-bench-") as tmp:
        for name, data in streams.items():
            Path(tmp, f"{name}.sse").write_bytes(data)
        env = {**os.environ, "PYTHONPATH": _pythonpath()}
        proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.server", tmp],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if not line.startswith("PORT "):
                raise RuntimeError(f"benchmark server did not start: {line!r}")
            yield f"http://127.0.0.1:{int(line.split()[1])}"
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()


# -- the contenders -------------------------------------------------------------------------


async def raw_read(session: aiohttp.ClientSession, url: str, name: str) -> int:
    size = 0
    async with session.get(f"{url}/api/ana", params={"query": name}) as response:
        async for chunk in response.content.iter_any():
            size += len(chunk)
    return size


async def raw_split(session: aiohttp.ClientSession, url: str, name: str) -> int:
    tail = b""
    events = 0
    async with session.get(f"{url}/api/ana", params={"query": name}) as response:
        async for chunk in response.content.iter_any():
            parts = (tail + chunk).split(b"\n\n")
            tail = parts.pop()
            events += len(parts)
    return events


async def ours_ask(client: AsyncTextQL, name: str) -> object:
    result = await client.ana.ask(name)
    return result


async def ours_stream(client: AsyncTextQL, name: str) -> tuple[object, int]:
    seen = 0
    async with client.ana.stream(name) as stream:
        async for _update in stream:
            seen += 1
    return stream.snapshot, seen


async def eventsource_fold(session: aiohttp.ClientSession, url: str, name: str) -> DictFold:
    """aiohttp-sse-client as its users would write it, made safe for Ana: no retries, and
    closed at ``done`` (else it reconnects at the end of the body and asks again)."""
    fold = DictFold()
    loads = json.loads
    async with EventSource(
        f"{url}/api/ana", session=session, max_connect_retry=0, params={"query": name}
    ) as source:
        async for event in source:
            fold.feed(event.type or "message", loads(event.data))
            if fold.done:
                break
    return fold


async def _request_count(session: aiohttp.ClientSession, url: str, name: str) -> int:
    async with session.get(f"{url}/count", params={"query": name}) as response:
        return int(await response.text())


def _result_outcome(result: object) -> Any:
    # AnaResult -> the parts an Outcome compares (an AnaResult is always a finished answer)
    from benchmarks.contenders import Outcome

    r: Any = result
    return Outcome(r.chat_id, r.user_msg_id, r.assistant_msg_id, True, r.blocks)


async def _bench_end_to_end(url: str, name: str, repeats: int, expected: Any) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as session,
        AsyncTextQL(api_key="bench-key", base_url=url, max_retries=0) as client,
    ):
        # check round: every contender computes the expected answer, the question asked once
        before = await _request_count(session, url, name)
        size = await raw_read(session, url, name)
        events = await raw_split(session, url, name)
        result = await ours_ask(client, name)
        snapshot, _seen = await ours_stream(client, name)
        fold = await eventsource_fold(session, url, name)
        asked = await _request_count(session, url, name) - before
        for label, got in (
            ("ask()", _result_outcome(result)),
            ("stream()", outcome(snapshot)),
            ("EventSource", outcome(fold)),
        ):
            if got != expected:
                raise AssertionError(f"end to end: {label} result differs from in-memory")
        if asked != 5:
            raise AssertionError(f"end to end: 5 contenders sent {asked} requests, not 5")
        runs: dict[str, Callable[[], Awaitable[object]]] = {
            RAW: lambda: raw_read(session, url, name),
            RAW_SPLIT: lambda: raw_split(session, url, name),
            ASK: lambda: ours_ask(client, name),
            STREAM: lambda: ours_stream(client, name),
            EVENTSOURCE: lambda: eventsource_fold(session, url, name),
        }
        times = await interleaved_async(runs, repeats, warmup=False)
        return {
            "bytes": size,
            "events": events,
            "labels": dict(E2E_LABELS),
            "median": {key: median(values) for key, values in times.items()},
            "times": times,
            "repeats": repeats,
        }


def bench_end_to_end(url: str, name: str, expected: Any, repeats: int) -> dict[str, Any]:
    """Time the end-to-end contenders on the stream ``name`` served at ``url``."""
    return asyncio.run(_bench_end_to_end(url, name, repeats, expected))


# -- slow consumer --------------------------------------------------------------------------


async def _consume(view: str, client: AsyncTextQL, name: str, pause: float) -> int:
    items = 0
    if view == "final":
        async with client.ana.stream(name) as stream:
            await stream.final()
        return 1
    coalesce = view == "async for (coalesce=True)"
    async with client.ana.stream(name, coalesce=coalesce) as stream:
        source: AsyncIterator[object]
        if view == "snapshots()":
            source = stream.snapshots()
        elif view == "text_deltas()":
            source = stream.text_deltas()
        else:
            source = stream.__aiter__()
        async for _item in source:
            items += 1
            await asyncio.sleep(pause)  # the slow consumer: e.g. relaying to a slow browser
    return items


SLOW_VIEWS = (
    "final",
    "snapshots()",
    "text_deltas()",
    "async for (coalesce=True)",
    "async for (every version)",
)


async def _bench_slow(url: str, name: str, pause: float) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    async with AsyncTextQL(api_key="bench-key", base_url=url, max_retries=0) as client:
        await _consume("final", client, name, 0)  # warm-up: connection, imports
        for view in SLOW_VIEWS:
            with count_decoded_blocks() as decoded:
                cpu = time.process_time()
                wall = time.perf_counter()
                items = await _consume(view, client, name, pause)
                wall = time.perf_counter() - wall
                cpu = time.process_time() - cpu
            rows[view] = {"items": items, "decoded": decoded[0], "wall": wall, "cpu": cpu}
    return rows


def bench_slow_consumer(url: str, name: str, pause: float) -> dict[str, Any]:
    """Each view of the stream ``name`` read by a consumer pausing ``pause`` s per item,
    while the server at ``url`` writes as fast as it can."""
    return {"pause": pause, "views": asyncio.run(_bench_slow(url, name, pause))}
