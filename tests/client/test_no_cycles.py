"""A finished stream is freed at once (reference counting), not left to the collector.

At thousands of concurrent answers, objects in reference cycles (a stream and its reader
holding each other, with the response, fold and blocks behind them) pile up until a
collection and make every collection slower.
"""

from __future__ import annotations

import gc

from textql_async.testing import FakeTextQL


async def test_an_answer_leaves_no_cyclic_garbage() -> None:
    async with FakeTextQL() as fake, fake.client(max_retries=0) as client:
        await client.ana.ask("warm-up")  # imports, the first connection
        gc.collect()
        gc.disable()
        try:
            for _ in range(3):
                await client.ana.ask("Which store is the largest?")
                async with client.ana.stream("And the smallest?") as stream:
                    async for _update in stream:
                        pass
            unreachable = gc.collect()
        finally:
            gc.enable()
    assert unreachable == 0
