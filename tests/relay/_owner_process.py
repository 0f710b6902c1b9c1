"""A replica in its own process: starts one answer on a RedisRelay, prints its id, then
waits to be killed (SIGKILL) mid-answer. Used by test_takeover.py."""

from __future__ import annotations

import asyncio
import sys

from textql_async import AsyncTextQL
from textql_async.relay import RedisRelay


async def main(base_url: str, redis_url: str, prefix: str, question: str) -> None:
    async with AsyncTextQL(api_key="test-key", member_id="test-member", base_url=base_url) as client:
        async with RedisRelay(client, redis_url, prefix=prefix, lease_ms=1000) as relay:
            answer_id = await relay.start(question, owner="alice")
            print(answer_id, flush=True)
            await asyncio.sleep(3600)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
