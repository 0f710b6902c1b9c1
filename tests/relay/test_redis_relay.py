"""RedisRelay on a real redis-server that dies: typed errors, error events, no hang, reconnect.

Also what it leaves in Redis: a bounded stream, keys with TTLs, no lease after the end.
"""

from __future__ import annotations

import secrets

import anyio
import pytest
from _helpers import Folded, as_wire, read_all
from redis.asyncio import Redis

from textql_async.relay import AnswerNotFoundError, RedisRelay, RelayUnavailableError
from textql_async.testing import FakeTextQL, default_answer, final_blocks, scaled_answer

QUESTION = "Which store has the largest floor space?"


def expected() -> list[dict[str, object]]:
    return as_wire(final_blocks(default_answer(QUESTION, chat_id="x", user_msg_id=0, assistant_msg_id=0)))


def ana_requests(fake: FakeTextQL) -> int:
    return sum(1 for r in fake.requests if r.path == "/api/ana")


async def test_start_while_redis_is_down_raises_a_typed_error_and_asks_nothing(redis_factory) -> None:
    server = await redis_factory()
    server.kill()
    async with FakeTextQL() as fake, fake.client() as client:
        async with RedisRelay(client, server.url) as relay:
            with anyio.fail_after(10):
                with pytest.raises(RelayUnavailableError, match="Redis is unavailable"):
                    await relay.start(QUESTION, owner="alice")
                with pytest.raises(RelayUnavailableError):
                    await relay.state("whatever", owner="alice")
                folded = await read_all(relay.events("whatever", owner="alice"))
            assert folded.kinds == ["error"]
            assert folded.events[0].data["type"] == "RelayUnavailableError"
            assert folded.events[0].data["snapshot"]["blocks"] == []
    assert ana_requests(fake) == 0


async def test_redis_killed_mid_read_gives_an_error_event_and_nothing_hangs(redis_factory) -> None:
    server = await redis_factory()
    async with FakeTextQL(event_delay=0.05) as fake, fake.client() as client:
        async with RedisRelay(client, server.url, lease_ms=1000) as relay:
            answer_id = await relay.start(QUESTION, owner="alice")
            folded = Folded()
            with anyio.fail_after(15):
                async for event in relay.events(answer_id, owner="alice"):
                    if event.kind == "error":
                        error = event
                        break
                    folded.apply(event)
                    if event.seq == 3:
                        server.kill()
            assert folded.events[-1].seq == 3
            assert error.seq == 3  # not in the log: resuming after 3 loses nothing
            assert error.data["type"] == "RelayUnavailableError"
            assert error.data["snapshot"]["blocks"] == folded.blocks and folded.blocks
            assert error.data["snapshot"]["chat_id"] == fake.chats[0].chat_id
            # the owner gives up reading upstream (its writes fail): the stream is closed
            with anyio.fail_after(10):
                await fake.wait_for_streams_closed()
        # leaving the relay with Redis down does not hang either
    assert ana_requests(fake) == 1


async def test_the_relay_reconnects_when_redis_is_back(redis_factory) -> None:
    server = await redis_factory()
    async with FakeTextQL() as fake, fake.client() as client:
        async with RedisRelay(client, server.url) as relay:
            first = await relay.start(QUESTION, owner="alice")
            assert (await read_all(relay.events(first, owner="alice"))).blocks == expected()
            server.kill()
            with anyio.fail_after(10), pytest.raises(RelayUnavailableError):
                await relay.start(QUESTION, owner="alice")
            server.start()  # same port, empty (no persistence)
            with anyio.fail_after(20):
                again = await relay.start(QUESTION, owner="alice")
                folded = await read_all(relay.events(again, owner="alice"))
            assert folded.kinds[-1] == "done" and folded.blocks == expected()
            # what lived only in the Redis that died is gone, and says so
            with pytest.raises(AnswerNotFoundError):
                await relay.state(first, owner="alice")
    assert ana_requests(fake) == 2


async def test_redis_use_per_answer_is_bounded_and_expires(redis_server) -> None:
    prefix = f"bounds:{secrets.token_hex(4)}:"
    script = scaled_answer(50, updates_per_block=10, words_per_update=2)
    redis = Redis.from_url(redis_server.url)
    try:
        async with FakeTextQL() as fake, fake.client() as client:
            fake.add_answer(lambda q: True, script, event_delay=0.001)
            async with RedisRelay(client, redis, prefix=prefix, keep=16, ttl=30, lease_ms=2000) as relay:
                answer_id = await relay.start(QUESTION, owner="alice")
                base = f"{prefix}{answer_id}"
                assert await redis.zscore(f"{prefix}active", answer_id) is not None
                assert 0 < await redis.pttl(f"{base}:lease") <= 2000
                folded = await read_all(relay.events(answer_id, owner="alice"))
                assert folded.blocks == as_wire(final_blocks(script))
                assert folded.events[-1].seq > 400
                # the log keeps `keep` entries plus at most one macro node (100 by default)
                assert await redis.xlen(f"{base}:log") <= 16 + 100
                for key in (f"{base}:log", f"{base}:state"):
                    assert 0 < await redis.pttl(key) <= 30_000
                assert await redis.exists(f"{base}:lease") == 0
                assert await redis.zscore(f"{prefix}active", answer_id) is None
                # the hash holds one copy of each block, not one per update
                assert await redis.hlen(f"{base}:state") == 5 + 50  # owner seq n meta final + blocks
            await redis.ping()  # a client passed in is not closed by the relay
    finally:
        await redis.aclose()


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("decode_responses", [False, True])
async def test_a_redis_client_of_yours_works_whatever_its_protocol_and_decoding(
    redis_server, protocol: int, decode_responses: bool
) -> None:
    redis = Redis.from_url(redis_server.url, protocol=protocol, decode_responses=decode_responses)
    try:
        async with FakeTextQL(event_delay=0.002) as fake, fake.client() as client:
            async with RedisRelay(client, redis, prefix=f"proto:{secrets.token_hex(4)}:") as relay:
                answer_id = await relay.start(QUESTION, owner="alice")
                folded = await read_all(relay.events(answer_id, owner="alice"))
                assert folded.kinds[0] == "snapshot" and folded.kinds[-1] == "done"
                assert folded.blocks == expected()
                resumed = await read_all(relay.events(answer_id, owner="alice", after=2))
                assert resumed.events[0].seq == 3 and resumed.blocks[-1] == expected()[-1]
                assert (await relay.state(answer_id, owner="alice")).done
        assert await redis.ping()
    finally:
        await redis.aclose()


async def test_a_replica_shut_down_cleanly_hands_its_answers_over_at_once(redis_server) -> None:
    prefix = f"handover:{secrets.token_hex(4)}:"
    async with FakeTextQL(event_delay=0.05) as fake, fake.client() as client_a, fake.client() as client_b:
        async with RedisRelay(client_b, redis_server.url, prefix=prefix, lease_ms=30_000, recover_stable_for=0.5) as b:
            a = RedisRelay(client_a, redis_server.url, prefix=prefix, lease_ms=30_000)
            async with a:
                answer_id = await a.start(QUESTION, owner="alice")
                folded = Folded()
                async for event in b.events(answer_id, owner="alice"):
                    folded.apply(event)
                    if event.seq == 4:
                        break
            # A left (a deploy): its lease is released, not left to expire after 30 s
            with anyio.fail_after(15):
                await read_all(b.events(answer_id, owner="alice", after=4), folded)
            assert folded.kinds[-1] == "done" and folded.blocks == expected()
    assert ana_requests(fake) == 1


async def test_more_readers_than_a_default_redis_pool_all_get_the_answer(redis_server) -> None:
    """300 readers of one answer in one process: one shared XREAD, a blocking pool for bursts."""
    async with FakeTextQL(event_delay=0.01) as fake, fake.client() as client:
        async with RedisRelay(client, redis_server.url, prefix=f"burst:{secrets.token_hex(4)}:") as relay:
            answer_id = await relay.start(QUESTION, owner="alice")
            results: list[Folded] = []

            async def reader() -> None:
                results.append(await read_all(relay.events(answer_id, owner="alice")))

            with anyio.fail_after(45):
                async with anyio.create_task_group() as tg:
                    for _ in range(300):
                        tg.start_soon(reader)
            assert len(results) == 300
            assert all(r.kinds[-1] == "done" and r.blocks == expected() for r in results)
            assert relay._tails == {}  # every shared reader stopped with its last reader
    assert ana_requests(fake) == 1


async def test_a_reader_older_than_the_shared_tail_catches_up_from_the_log(redis_server) -> None:
    async with FakeTextQL(event_delay=0.05) as fake, fake.client() as client:
        async with RedisRelay(client, redis_server.url, prefix=f"catchup:{secrets.token_hex(4)}:") as relay:
            answer_id = await relay.start(QUESTION, owner="alice")
            first = Folded()
            async for event in relay.events(answer_id, owner="alice"):
                first.apply(event)
                if event.seq == 8:
                    break
            late = Folded()
            live_at_8 = Folded()
            seen_10 = anyio.Event()

            async def live() -> None:  # the shared tail starts at seq 8
                async for event in relay.events(answer_id, owner="alice", after=8):
                    live_at_8.apply(event)
                    if event.seq >= 10:
                        seen_10.set()

            async with anyio.create_task_group() as tg:
                tg.start_soon(live)
                with anyio.fail_after(20):
                    await seen_10.wait()
                # older than the tail keeps: the events 3..10 come from XRANGE, then live
                await read_all(relay.events(answer_id, owner="alice", after=2), late)
            assert late.kinds[0] == "update" and late.events[0].seq == 3
            assert "snapshot" not in late.kinds and late.kinds[-1] == "done"
            assert late.blocks == live_at_8.blocks == expected()
            assert live_at_8.events[0].seq == 9
