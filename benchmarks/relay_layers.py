"""Where ``ask()``'s CPU over the floor goes, layer by layer, on the short answer.

The short-answer row of the relay benchmark compares ``ask()`` with the raw read; the
floor (the raw read plus our sans-IO decoder and fold) is what any Python client on
aiohttp pays. The contenders here add one layer of ``ask()`` at a time, measured the
same way (2,000 asks at once through ``asyncio.gather``, the client's CPU per answer,
interleaved rounds, medians), each also with the garbage collector paused, so the table
shows what each guarantee costs and how much of it is the collector:

- ``raw``, ``floor``: as in :mod:`benchmarks.relay_cpu`;
- ``transport``: the floor's read through :meth:`Transport.open` (credentials, the retry
  policy, typed errors, the per-attempt header deadline, the content-type check);
- ``stream``: :class:`AnaStream` over a plain ``session.get`` (the idle and total
  deadlines, draining for connection reuse, typed errors carrying the snapshot,
  closing at once);
- ``stream+transport``: ``client.ana.stream(q)`` then ``final()``: both, and the
  client's stream registry (closing the client ends its streams);
- ``ask``: ``client.ana.ask(q)``: the resource layer on top (the API call's telemetry
  context, the request id, recovery of broken streams).

``python -m benchmarks.relay_layers URL LOOP ROUNDS N`` prints one JSON line.
"""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from benchmarks import relay_cpu
from textql_async import AsyncTextQL
from textql_async._streaming import AnaStream, result_from_snapshot
from textql_async.sansio.chunked import AnaDecoder

__all__ = ["LAYERS", "bench_layers"]

LAYERS = {
    "raw": "raw aiohttp read to EOF",
    "floor": "+ AnaDecoder + AnaResult (the floor)",
    "transport": "floor, read through Transport.open",
    "stream": "AnaStream over a plain session.get",
    "stream+transport": "client.ana.stream(q) + final()",
    "ask": "client.ana.ask(q)",
}
_ACCEPT = {"Accept": "text/event-stream"}


def _runs(
    session: aiohttp.ClientSession, client: AsyncTextQL, url: str
) -> dict[str, Callable[[str], Awaitable[object]]]:
    transport = client._transport
    timeout = transport.settings.timeout

    async def through_transport(name: str) -> object:
        decoder = AnaDecoder()
        fold = decoder.fold
        response = await transport.open(
            "GET",
            "/api/ana",
            params={"query": name},
            headers=_ACCEPT,
            auth="ana",
            timeout=timeout,
            idempotent=True,
            stream=True,
            header_timeout=timeout.idle,
            content_type="text/event-stream",
        )
        async for chunk in response.content.iter_any():
            decoder.feed(chunk, coalesce=True)
            if fold.done:
                break
        response.release()
        return result_from_snapshot(fold.snapshot)

    async def stream_over_session(name: str) -> object:
        async def opener() -> aiohttp.ClientResponse:
            return await session.get(f"{url}/api/ana", params={"query": name})

        async with AnaStream(opener, timeout=timeout) as stream:
            return await stream.final()

    async def stream_and_transport(name: str) -> object:
        async with client.ana.stream(name) as stream:
            return await stream.final()

    return {
        "raw": lambda name: relay_cpu._raw(session, url, name),
        "floor": lambda name: relay_cpu._floor(session, url, name),
        "transport": through_transport,
        "stream": stream_over_session,
        "stream+transport": stream_and_transport,
        "ask": lambda name: client.ana.ask(name),
    }


def _answer(result: Any) -> tuple[Any, ...]:
    return (result.chat_id, result.blocks, result.answer)


async def _rounds(url: str, rounds: int, n: int) -> dict[str, Any]:
    out: dict[str, Any] = {name: {"cpu": [], "cpu_nogc": []} for name in LAYERS}
    async with relay_cpu._session() as session, relay_cpu._client(url) as client:
        runs = _runs(session, client, url)
        expected = _answer(await runs["floor"](relay_cpu.SHORT))
        for name, run in runs.items():  # every layer computes the same answer; warm-up
            if name != "raw" and _answer(await run(relay_cpu.SHORT)) != expected:
                raise RuntimeError(f"layer {name!r} computed another answer than the floor")
            await relay_cpu._once(run, relay_cpu.SHORT, min(n, 64))
        names = list(LAYERS)
        for round_ in range(rounds):
            for name in names if round_ % 2 == 0 else names[::-1]:
                for key in ("cpu", "cpu_nogc"):
                    if key == "cpu_nogc":
                        gc.disable()
                    try:
                        _, cpu = await relay_cpu._once(runs[name], relay_cpu.SHORT, n)
                    finally:
                        gc.enable()
                    out[name][key].append(cpu / n)
    return out


def bench_layers(url: str, *, n: int, rounds: int) -> dict[str, Any]:
    """Every layer on every available loop, one child process per loop."""
    loops = [loop for loop in relay_cpu.LOOPS if relay_cpu.loop_available(loop)]
    times = {
        loop: relay_cpu._child(url, loop, str(rounds), str(n), module="benchmarks.relay_layers")
        for loop in loops
    }
    return {"answers": n, "rounds": rounds, "loops": loops, "layers": dict(LAYERS), "times": times}


def main() -> None:
    url, loop, rounds, n = sys.argv[1:5]
    print(json.dumps(relay_cpu.run_on(loop, _rounds(url, int(rounds), int(n)))))


if __name__ == "__main__":
    main()
