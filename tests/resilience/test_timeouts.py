"""Timeouts: idle (keep-alives do not count), total, read; a stalled server never hangs a test."""

from __future__ import annotations

import time

import pytest
from _kit import ana_requests, client, default_script, versions

from textql_async import APITimeoutError, StreamError, Timeout
from textql_async.testing import Delay, FakeTextQL, Stall

SUMMARY = "/api/ana/chat/summary"


async def test_keepalive_comments_do_not_reset_the_idle_timeout() -> None:
    async with FakeTextQL() as fake:
        fake.inject(Stall(after_events=0, keepalive_interval=0.02))
        async with client(fake) as c:
            started = time.monotonic()
            with pytest.raises(APITimeoutError) as info:
                async with c.ana.stream("ping only", timeout=Timeout(idle=0.15)) as stream:
                    await stream.final()
            elapsed = time.monotonic() - started
        await fake.wait_for_disconnects(timeout=2)
    assert 0.13 <= elapsed < 2.0
    assert info.value.snapshot is not None
    assert info.value.snapshot.blocks == () and not info.value.snapshot.done
    assert ana_requests(fake) == 1


async def test_keepalives_after_some_events_time_out_with_the_snapshot() -> None:
    async with FakeTextQL() as fake:
        fake.inject(Stall(after_events=6, keepalive_interval=0.02))
        async with client(fake) as c:
            with pytest.raises(APITimeoutError) as info:
                async with c.ana.stream("stall", timeout=Timeout(idle=0.15)) as stream:
                    async for _ in stream:
                        pass
        chat = fake.chats[0]
    snapshot = info.value.snapshot
    assert snapshot is not None
    assert snapshot.chat_id == chat.chat_id
    assert snapshot.assistant_msg_id == chat.assistant_msg_id
    # events 3, 4, 5 are the first three versions of the first TextBlock
    sent = versions(default_script(chat))
    assert len(snapshot.blocks) == 1
    assert snapshot.blocks[0] == sent[snapshot.blocks[0].id][2]  # type: ignore[union-attr]


async def test_a_silent_stall_times_out_on_idle() -> None:
    async with FakeTextQL() as fake:
        fake.inject(Stall(after_events=3))
        async with client(fake) as c:
            started = time.monotonic()
            with pytest.raises((APITimeoutError, StreamError)) as info:
                await c.ana.ask("stall", timeout=Timeout(idle=0.1), recover=False)
            assert time.monotonic() - started < 2.0
        await fake.wait_for_disconnects(timeout=2)
    assert info.value.snapshot is not None
    assert info.value.snapshot.chat_id is not None


async def test_total_bounds_a_slow_but_steady_stream() -> None:
    # ~30 events: 3 s in all; the bound leaves a loaded machine time for the first events.
    async with FakeTextQL(event_delay=0.1) as fake:
        async with client(fake) as c:
            started = time.monotonic()
            with pytest.raises(APITimeoutError) as info:
                async with c.ana.stream("slow", timeout=Timeout(idle=5, total=0.8)) as stream:
                    await stream.final()
            elapsed = time.monotonic() - started
        await fake.wait_for_disconnects(timeout=2)
    assert 0.78 <= elapsed < 2.5
    assert info.value.snapshot is not None
    assert info.value.snapshot.chat_id is not None


async def test_total_bounds_ask_including_recovery() -> None:
    async with FakeTextQL(answer_completes_after=30) as fake:
        fake.inject(Stall(after_events=5))
        async with client(fake) as c:
            started = time.monotonic()
            with pytest.raises((APITimeoutError, StreamError)) as info:
                await c.ana.ask("stall", timeout=Timeout(idle=0.05, total=0.3))
            elapsed = time.monotonic() - started
    assert elapsed < 1.5
    assert info.value.snapshot is not None and info.value.snapshot.chat_id is not None


async def test_total_bounds_a_request_whose_headers_never_come() -> None:
    async with FakeTextQL() as fake:
        fake.inject(Delay(2), times=None, path=SUMMARY)
        async with client(fake) as c:
            started = time.monotonic()
            with pytest.raises(APITimeoutError):
                await c.ana.chat_summaries(timeout=Timeout(total=0.15))
            assert time.monotonic() - started < 1.5


async def test_read_timeout_of_an_ordinary_request() -> None:
    async with FakeTextQL() as fake:
        fake.inject(Delay(2), times=None, path=SUMMARY)
        async with client(fake) as c:
            started = time.monotonic()
            with pytest.raises(APITimeoutError):
                await c.ana.chat_summaries(timeout=Timeout(read=0.1), max_retries=0)
            assert time.monotonic() - started < 1.5


async def test_read_timeout_is_retried_then_succeeds() -> None:
    async with FakeTextQL() as fake:
        fake.inject(Delay(2), times=1, path=SUMMARY)
        async with client(fake) as c:
            assert await c.ana.chat_summaries(timeout=Timeout(read=0.1)) == []
        assert sum(1 for r in fake.requests if r.path == SUMMARY) == 2


async def test_a_stream_whose_headers_never_come_does_not_hang() -> None:
    async with FakeTextQL() as fake:
        fake.inject(Delay(2), times=None, path="/api/ana")
        async with client(fake) as c:
            started = time.monotonic()
            with pytest.raises(APITimeoutError):
                await c.ana.ask("hello?", timeout=Timeout(read=0.1, idle=0.1), max_retries=0)
            assert time.monotonic() - started < 1.5


async def test_per_call_timeout_overrides_the_client_default() -> None:
    async with FakeTextQL() as fake:
        fake.inject(Stall(after_events=0))
        async with client(fake, timeout=Timeout(idle=0.1)) as c:
            assert c.timeout.idle == 0.1
            started = time.monotonic()
            with pytest.raises(APITimeoutError):
                async with c.ana.stream("x", timeout=Timeout(idle=0.25)) as stream:
                    await stream.final()
            assert time.monotonic() - started >= 0.22


def test_timeout_defaults_and_validation() -> None:
    t = Timeout()
    assert (t.connect, t.read, t.idle, t.total) == (10, 120, 300, None)
    with pytest.raises(ValueError):
        Timeout(idle=0)
    with pytest.raises(ValueError):
        Timeout(total=-1)
