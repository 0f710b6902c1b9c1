"""Fan-out: many subscribers share one upstream Ana stream (``stream.broadcast()``)."""

from __future__ import annotations

import asyncio
import time

import anyio
import pytest

from textql_async import Broadcaster, Snapshot, StreamError, Subscription
from textql_async.models.ana import Block, block_from_builtins
from textql_async.testing import DropAfter, FakeTextQL

QUESTION = "Which store is the largest?"


def ana_requests(fake: FakeTextQL) -> int:
    return sum(1 for r in fake.requests if r.path == "/api/ana")


async def collect(subscription: Subscription, delay: float = 0.0) -> list[Snapshot]:
    got: list[Snapshot] = []
    async with subscription:
        async for snapshot in subscription:
            got.append(snapshot)
            if delay:
                await anyio.sleep(delay)
    return got


def assert_growing(snapshots: list[Snapshot]) -> None:
    counts = [len(s.blocks) for s in snapshots]
    assert counts == sorted(counts)
    assert snapshots[-1].done and not any(s.done for s in snapshots[:-1])


def expected_final(fake: FakeTextQL) -> tuple[Block, ...]:
    """The fake's complete answer to QUESTION: the final version of each block, in order."""
    chat = fake.chats[0]
    assert chat.question == QUESTION
    return tuple(block_from_builtins(b) for b in chat.blocks.values())


async def test_subscribers_share_one_upstream_and_end_identical() -> None:
    async with FakeTextQL(event_delay=0.005) as fake, fake.client() as client:
        broadcaster = client.ana.stream(QUESTION).broadcast()
        subscriptions = [broadcaster.subscribe() for _ in range(5)]
        assert broadcaster.subscriber_count == 5
        results = await asyncio.gather(*(collect(s) for s in subscriptions))
        assert ana_requests(fake) == 1  # the question was asked once
        finals = [r[-1] for r in results]
        assert all(f == finals[0] for f in finals) and finals[0].done
        for got in results:
            assert_growing(got)
            assert got == results[0]  # nobody fell behind: the same sequence
        assert finals[0].blocks == expected_final(fake)
        assert broadcaster.finished and broadcaster.error is None
        assert broadcaster.subscriber_count == 0
        await fake.wait_for_streams_closed()


async def test_late_subscriber_gets_current_snapshot_then_live_ones() -> None:
    async with FakeTextQL(event_delay=0.02) as fake, fake.client() as client:
        broadcaster = client.ana.stream(QUESTION).broadcast()
        early = broadcaster.subscribe()
        early_task = asyncio.ensure_future(collect(early))
        while len(broadcaster.snapshot.blocks) < 2:  # noqa: ASYNC110
            await anyio.sleep(0.005)
        current = broadcaster.snapshot
        late = await collect(broadcaster.subscribe())
        first = await early_task
    assert late[0] is current and not current.done  # the state at subscription time first
    assert len(late) > 2  # then live updates
    assert_growing(late)
    assert late[-1] == first[-1]
    assert first[0] is not current and len(first) > len(late)
    assert ana_requests(fake) == 1


async def test_slow_subscriber_skips_and_never_blocks_the_fast_one() -> None:
    async with FakeTextQL(event_delay=0.005) as fake, fake.client() as client:
        broadcaster = client.ana.stream(QUESTION).broadcast(buffer=2)
        fast_sub, slow_sub = broadcaster.subscribe(), broadcaster.subscribe()
        finished: dict[str, float] = {}

        async def timed(name: str, sub: Subscription, delay: float) -> list[Snapshot]:
            got = await collect(sub, delay)
            finished[name] = time.monotonic()
            return got

        fast, slow = await asyncio.gather(
            timed("fast", fast_sub, 0.0), timed("slow", slow_sub, 0.1)
        )
    assert fast_sub.skipped == 0 and len(fast) > 20
    assert slow_sub.skipped > 0 and len(slow) < len(fast)
    assert len(slow) + slow_sub.skipped == len(fast)  # every state was either seen or skipped
    assert finished["fast"] < finished["slow"]
    assert_growing(slow)
    assert slow[-1] == fast[-1] and slow[-1].done  # skipping never loses the final answer


@pytest.mark.parametrize("buffer", [1, 3])
async def test_memory_is_bounded_by_the_buffer(buffer: int) -> None:
    async with FakeTextQL(event_delay=0.002) as fake, fake.client() as client:
        broadcaster = client.ana.stream(QUESTION).broadcast(buffer=buffer)
        idle = broadcaster.subscribe()  # does not read until the upstream is done
        reader = broadcaster.subscribe()
        everything = await collect(reader)
        assert broadcaster.finished
        queued = idle._receive.statistics().current_buffer_used
        assert queued == buffer
        got = await collect(idle)
    assert len(got) == buffer and idle.skipped == len(everything) - buffer
    assert got[-1] == everything[-1] and got[-1].done  # even with buffer=1
    assert ana_requests(fake) == 1


async def test_upstream_closes_when_the_last_subscriber_leaves() -> None:
    async with FakeTextQL(event_delay=0.05) as fake, fake.client() as client:
        broadcaster = client.ana.stream(QUESTION).broadcast()
        first, second = broadcaster.subscribe(), broadcaster.subscribe()
        async with first:
            async for _ in first:
                break
        await anyio.sleep(0.1)
        assert fake.active_streams == 1  # one subscriber is still listening
        assert not broadcaster.finished
        async with second:
            async for _ in second:
                break
        await fake.wait_for_disconnects(timeout=5)
        assert broadcaster.finished and broadcaster.subscriber_count == 0
        # a subscriber arriving after everyone left learns the broadcast ended early
        with pytest.raises(StreamError, match="every subscriber left"):
            await collect(broadcaster.subscribe())
        assert ana_requests(fake) == 1


async def test_cancelled_subscriber_leaves_too() -> None:
    async with FakeTextQL(event_delay=0.05) as fake, fake.client() as client:
        broadcaster = client.ana.stream(QUESTION).broadcast()
        with anyio.move_on_after(0.2):
            await collect(broadcaster.subscribe())
        await fake.wait_for_disconnects(timeout=5)
        assert broadcaster.subscriber_count == 0


async def test_upstream_error_reaches_every_subscriber() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        fake.inject(DropAfter(events=8))
        broadcaster = client.ana.stream(QUESTION).broadcast()
        subscriptions = [broadcaster.subscribe() for _ in range(3)]
        outcomes = await asyncio.gather(
            *(collect(s) for s in subscriptions), return_exceptions=True
        )
    for outcome in outcomes:
        assert isinstance(outcome, StreamError)
        assert outcome.snapshot is not None and outcome.snapshot.blocks
        assert not outcome.snapshot.done
    assert broadcaster.error is outcomes[0]
    # a later subscriber gets what arrived, then the same error
    got: list[Snapshot] = []
    with pytest.raises(StreamError):
        async with broadcaster.subscribe() as sub:
            async for snapshot in sub:
                got.append(snapshot)
    assert got and got[-1].blocks == broadcaster.snapshot.blocks


async def test_subscriber_after_the_end_gets_the_final_snapshot() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        broadcaster = Broadcaster(client.ana.stream(QUESTION), buffer=4)
        first = await collect(broadcaster.subscribe())
        again = await collect(broadcaster.subscribe())
        expected = expected_final(fake)
    assert again == [first[-1]] and again[0].done
    assert again[0].blocks == expected


def test_buffer_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Broadcaster(object(), buffer=0)  # type: ignore[arg-type]
