"""Cancellation and cleanup: every way of leaving a stream closes its HTTP response at once."""

from __future__ import annotations

import asyncio
import time

import anyio
import pytest
from _kit import client

from textql_async import APIConnectionError, StreamError
from textql_async.testing import Delay, DropAfter, FakeTextQL, Stall

SLOW = 0.03  # seconds between events: the default answer takes ~1 s to stream


class ConsumerBug(Exception):
    pass


async def _assert_closed_promptly(fake: FakeTextQL) -> None:
    started = time.monotonic()
    await fake.wait_for_disconnects(timeout=1.0)
    assert (fake.active_streams, fake.open_connections) == (0, 0)
    assert time.monotonic() - started < 1.0


async def test_cancelling_the_consuming_task_closes_the_response() -> None:
    async with FakeTextQL(event_delay=SLOW) as fake:
        async with client(fake) as c:
            got_one = asyncio.Event()

            async def consume() -> None:
                async with c.ana.stream("q") as stream:
                    async for _ in stream:
                        got_one.set()

            task = asyncio.create_task(consume())
            await asyncio.wait_for(got_one.wait(), 2)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await _assert_closed_promptly(fake)
            assert len(await c.ana.chat_summaries()) == 1  # the client still works


async def test_break_closes_the_response() -> None:
    async with FakeTextQL(event_delay=SLOW) as fake:
        async with client(fake) as c:
            async with c.ana.stream("q") as stream:
                async for update in stream:
                    if update.index == 0:
                        break
            await _assert_closed_promptly(fake)
            assert stream.snapshot.blocks and not stream.done


async def test_an_exception_in_the_consumer_closes_the_response_and_propagates() -> None:
    async with FakeTextQL(event_delay=SLOW) as fake:
        async with client(fake) as c:
            with pytest.raises(ConsumerBug):
                async with c.ana.stream("q") as stream:
                    async for _ in stream:
                        raise ConsumerBug
            await _assert_closed_promptly(fake)


async def test_anyio_fail_after_closes_the_response() -> None:
    async with FakeTextQL(event_delay=SLOW) as fake:
        async with client(fake) as c:
            started = time.monotonic()
            with pytest.raises(TimeoutError):
                with anyio.fail_after(0.1):
                    async with c.ana.stream("q") as stream:
                        await stream.final()
            assert time.monotonic() - started < 1.0
            await _assert_closed_promptly(fake)


async def test_anyio_move_on_after_around_ask_closes_the_response() -> None:
    async with FakeTextQL() as fake:
        fake.inject(Stall(after_events=5))
        async with client(fake) as c:
            with anyio.move_on_after(0.1) as scope:
                await c.ana.ask("q")
            assert scope.cancelled_caught
            await _assert_closed_promptly(fake)


async def test_cancel_while_waiting_for_headers() -> None:
    async with FakeTextQL() as fake:
        fake.inject(Delay(2), path="/api/ana")
        async with client(fake) as c:
            task = asyncio.create_task(c.ana.ask("q"))
            await fake.wait_for_requests(1)
            await asyncio.sleep(0.02)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await fake.wait_for_disconnects(timeout=1.0)


async def test_cancel_during_recovery_polling() -> None:
    async with FakeTextQL(answer_completes_after=60) as fake:
        fake.inject(DropAfter(events=5))
        async with client(fake) as c:
            task = asyncio.create_task(c.ana.ask("q"))
            await fake.wait_for_requests(2)  # the question, then the first history poll
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        await fake.wait_for_disconnects(timeout=1.0)


async def test_many_concurrent_streams_cancelled_at_once() -> None:
    async with FakeTextQL(event_delay=SLOW) as fake:
        async with client(fake) as c:
            started = asyncio.Semaphore(0)

            async def consume(i: int) -> None:
                async with c.ana.stream(f"q{i}") as stream:
                    async for _ in stream:
                        started.release()
                        await asyncio.sleep(10)

            tasks = [asyncio.create_task(consume(i)) for i in range(20)]
            for _ in range(20):
                await asyncio.wait_for(started.acquire(), 2)
            assert fake.active_streams == 20
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await _assert_closed_promptly(fake)


async def test_closing_the_client_ends_an_open_stream_with_a_clear_error() -> None:
    async with FakeTextQL(event_delay=SLOW) as fake:
        c = client(fake)
        async with c.ana.stream("q") as stream:
            it = aiter(stream)
            await anext(it)
            await c.aclose()
            started = time.monotonic()
            with pytest.raises((StreamError, APIConnectionError)) as info:
                await anext(it)
            assert time.monotonic() - started < 0.5
        assert "close" in str(info.value).lower()
        if isinstance(info.value, StreamError):
            assert info.value.snapshot is not None and info.value.snapshot.blocks
        assert c.is_closed
        await _assert_closed_promptly(fake)
        with pytest.raises(APIConnectionError):
            await c.ana.ask("after close")


async def test_closing_the_client_from_another_task_ends_a_blocked_read() -> None:
    async with FakeTextQL() as fake:
        fake.inject(Stall(after_events=4))
        c = client(fake)

        async def consume() -> BaseException | None:
            try:
                async with c.ana.stream("q") as stream:
                    await stream.final()
            except (StreamError, APIConnectionError) as exc:
                return exc
            return None

        task = asyncio.create_task(consume())
        await fake.wait_for_requests(1)
        await asyncio.sleep(0.05)
        await c.aclose()
        error = await asyncio.wait_for(task, 1.0)
        assert isinstance(error, (StreamError, APIConnectionError))
        await _assert_closed_promptly(fake)


async def test_stream_close_from_another_task_is_safe() -> None:
    async with FakeTextQL() as fake:
        fake.inject(Stall(after_events=4))
        async with client(fake) as c:
            async with c.ana.stream("q") as stream:
                reader = asyncio.create_task(stream.final())
                await asyncio.sleep(0.05)
                stream.close()
                stream.close()  # idempotent
                with pytest.raises(StreamError) as info:
                    await asyncio.wait_for(reader, 1.0)
                assert info.value.snapshot is not None
                await stream.aclose()
            await _assert_closed_promptly(fake)
            assert (await c.ana.ask("after")).answer
