"""A paced FakeTextQL in its own process, for the Dask batch tests and benchmark.

``python tests/distributed/fake_server.py --event-delay 0.01 --fail "q 7"`` prints
``URL <base url>`` once listening, then serves until SIGTERM / SIGINT. Questions given to
``--fail`` always get HTTP 500 (so they fail after the SDK's retries); the counts the
tests check (asks per question, peak concurrent streams) are at ``GET /_fake/stats``.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from textql_async.testing import FakeTextQL, HTTPError


async def serve(event_delay: float, fail: list[str]) -> None:
    async with FakeTextQL(event_delay=event_delay) as fake:
        for question in fail:
            fake.inject(HTTPError(500), times=None, question=question)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        print(f"URL {fake.url}", flush=True)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--event-delay", type=float, default=0.0)
    parser.add_argument("--fail", action="append", default=[])
    args = parser.parse_args()
    asyncio.run(serve(args.event_delay, args.fail))


if __name__ == "__main__":
    main()
