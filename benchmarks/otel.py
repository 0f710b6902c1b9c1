"""The cost of the OpenTelemetry instrumentation: ``ask()`` with the ``otel`` extra absent,
installed with no provider configured, and recording into the SDK.

``python -m benchmarks.otel [--tiny]`` starts the loopback server of
:mod:`benchmarks.loopback` once, then runs every mode in its own process (a module
cannot be un-imported), alternating their order over rounds:

- ``absent``: ``opentelemetry`` made unimportable, as without the extra;
- ``api, no provider``: the API installed, no provider set (the default in production
  until the application configures one);
- ``sdk, recording``: a real SDK ``TracerProvider`` + ``MeterProvider`` with in-memory
  exporters (what an instrumented service pays).

Two figures per mode: the benchmark's end-to-end ``ask()`` (the 50 MB realistic answer)
and the per-call cost on a small answer (five blocks, sequential asks), plus the
telemetry path alone. Processes on a shared machine differ by more than the effect, so
a second table runs the three modes side by side in ONE process, interleaved round by
round: "absent" there is the state the SDK is in when the import failed (its cached
``_otel()`` result is ``False``), the same code path. Prints Markdown tables (copied
into the README's "Observability" section).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from benchmarks.loopback import _pythonpath, loopback_server
from benchmarks.workloads import realistic_answer, small_answer_events
from textql_async.testing import render_script

MODES = ("absent", "api, no provider", "sdk, recording")


def _child(mode: str, url: str, repeats: int, small: int) -> dict[str, Any]:
    if mode == "absent":
        sys.modules["opentelemetry"] = None  # type: ignore[assignment]
    kwargs: dict[str, Any] = {}
    if mode == "sdk, recording":
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
        kwargs = {
            "tracer_provider": tracer_provider,
            "meter_provider": MeterProvider(metric_readers=[InMemoryMetricReader()]),
        }
    from textql_async import AsyncTextQL

    async def run() -> dict[str, Any]:
        async with AsyncTextQL(api_key="bench-key", base_url=url, max_retries=0, **kwargs) as c:
            await c.ana.ask("small")  # warm the connection
            big: list[float] = []
            for _ in range(repeats):
                start = time.perf_counter()
                await c.ana.ask("big")
                big.append(time.perf_counter() - start)
            start = time.perf_counter()
            for _ in range(small):
                await c.ana.ask("small")
            per_call = (time.perf_counter() - start) / small
            micro = _instrumentation_cost(c)
        return {
            "big_ms": statistics.median(big) * 1000,
            "small_us": per_call * 1e6,
            "micro_us": micro,
        }

    return asyncio.run(run())


def _instrumentation_cost(client: Any, n: int = 20_000) -> float:
    """Microseconds per call of the telemetry path alone (begin, request, response, end)."""
    from textql_async._otel import begin

    telemetry = client._transport.telemetry
    headers = {"x-request-id": "r"}
    start = time.perf_counter()
    for _ in range(n):
        call = begin(telemetry, "ana.ask")
        call.request("GET", "http://127.0.0.1:1/api/ana", None)
        call.response(200, headers)
        call.end(None)
    return (time.perf_counter() - start) / n * 1e6


def _interleaved(url: str, repeats: int, small: int, rounds: int) -> dict[str, dict[str, float]]:
    """The three modes in one process, alternating every round."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    import textql_async._otel as otel
    from textql_async import AsyncTextQL

    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    sdk = {
        "tracer_provider": tracer_provider,
        "meter_provider": MeterProvider(metric_readers=[InMemoryMetricReader()]),
    }

    async def run() -> dict[str, dict[str, float]]:
        times: dict[str, dict[str, list[float]]] = {m: {"big": [], "small": []} for m in MODES}
        async with (
            AsyncTextQL(api_key="bench-key", base_url=url, max_retries=0) as plain,
            AsyncTextQL(api_key="bench-key", base_url=url, max_retries=0, **sdk) as traced,
        ):
            await plain.ana.ask("small")
            await traced.ana.ask("small")
            for round_ in range(rounds):
                for mode in MODES if round_ % 2 == 0 else MODES[::-1]:
                    otel._api = False if mode == "absent" else None
                    client = traced if mode == "sdk, recording" else plain
                    for _ in range(repeats):
                        start = time.perf_counter()
                        await client.ana.ask("big")
                        times[mode]["big"].append(time.perf_counter() - start)
                    start = time.perf_counter()
                    for _ in range(small):
                        await client.ana.ask("small")
                    times[mode]["small"].append((time.perf_counter() - start) / small)
                    exporter.clear()
            otel._api = None
        return {
            m: {
                "big_ms": statistics.median(t["big"]) * 1000,
                "small_us": statistics.median(t["small"]) * 1e6,
            }
            for m, t in times.items()
        }

    return asyncio.run(run())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.otel", description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    repeats, small, rounds = (1, 20, 1) if args.tiny else (3, 300, 7)
    if args.child:
        print(json.dumps(_child(args.child, args.url, repeats, small)))
        return
    streams = {
        "big": realistic_answer(20 if args.tiny else 200).streams[0],
        "small": render_script(small_answer_events(0)),
    }
    results: dict[str, list[dict[str, Any]]] = {m: [] for m in MODES}
    env = {**os.environ, "PYTHONPATH": _pythonpath()}
    with loopback_server(streams) as url:
        for round_ in range(rounds):
            for mode in MODES if round_ % 2 == 0 else MODES[::-1]:
                out = subprocess.run(
                    [sys.executable, "-m", "benchmarks.otel", "--child", mode, "--url", url]
                    + (["--tiny"] if args.tiny else []),
                    capture_output=True,
                    text=True,
                    env=env,
                    check=True,
                )
                results[mode].append(json.loads(out.stdout))
        together = _interleaved(url, repeats, small, rounds)

    def med(mode: str, key: str) -> float:
        return statistics.median(r[key] for r in results[mode])

    print(
        "| otel | ask() 50 MB answer, median ms | vs absent "
        "| ask() small answer, us per call | vs absent | telemetry alone, us per call |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for mode in MODES:
        big, per = med(mode, "big_ms"), med(mode, "small_us")
        print(
            f"| {mode} | {big:,.1f} | {big / med('absent', 'big_ms'):.2f}x | {per:,.0f} | "
            f"{per / med('absent', 'small_us'):.2f}x | {med(mode, 'micro_us'):.1f} |"
        )
    print()
    print("Side by side in one process (interleaved):")
    print()
    print(
        "| otel | ask() 50 MB answer, median ms | vs absent | ask() small answer, us per call | vs absent |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    first = together["absent"]
    for mode in MODES:
        row = together[mode]
        print(
            f"| {mode} | {row['big_ms']:,.1f} | {row['big_ms'] / first['big_ms']:.2f}x | "
            f"{row['small_us']:,.0f} | {row['small_us'] / first['small_us']:.2f}x |"
        )


if __name__ == "__main__":
    main()
