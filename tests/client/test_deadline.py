"""The one-timer deadline the transport puts on each attempt's wait for headers."""

from __future__ import annotations

import asyncio
import sys

import pytest

from textql_async._deadline import deadline


async def test_deadline_raises_timeout_error_when_it_passes() -> None:
    with pytest.raises(TimeoutError):
        with deadline(0.01):
            await asyncio.sleep(5)


async def test_deadline_not_reached_changes_nothing() -> None:
    with deadline(5):
        await asyncio.sleep(0)
    await asyncio.sleep(0.02)  # no late cancellation left behind
    task = asyncio.current_task()
    assert task is not None
    if sys.version_info >= (3, 11):
        assert task.cancelling() == 0


async def test_no_deadline_is_a_no_op() -> None:
    with deadline(None):
        await asyncio.sleep(0.01)


async def test_an_outer_cancellation_is_not_turned_into_a_timeout() -> None:
    started = asyncio.Event()

    async def waiter() -> None:
        with deadline(5):
            started.set()
            await asyncio.sleep(5)

    task = asyncio.ensure_future(waiter())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_deadline_inside_an_anyio_scope_is_its_own() -> None:
    import anyio

    with anyio.CancelScope() as scope:
        with pytest.raises(TimeoutError):
            with deadline(0.01):
                await asyncio.sleep(5)
    assert not scope.cancelled_caught


async def test_the_timeout_after_a_deadline_does_not_cancel_later_awaits() -> None:
    with pytest.raises(TimeoutError):
        with deadline(0.01):
            await asyncio.sleep(5)
    await asyncio.sleep(0.02)  # would raise CancelledError if a cancel request were left


@pytest.mark.skipif(sys.version_info < (3, 11), reason="anyio.fail_after before 3.11")
async def test_shared_deadlines_fire_each_at_its_own_time_on_one_timer() -> None:
    from textql_async._deadline import Deadlines

    timers = Deadlines(asyncio.get_running_loop())
    outcomes: dict[str, str] = {}

    async def wait(name: str, seconds: float, sleep: float) -> None:
        try:
            with deadline(seconds, timers):
                await asyncio.sleep(sleep)
            outcomes[name] = "finished"
        except TimeoutError:
            outcomes[name] = "timed out"

    await asyncio.gather(
        wait("far", 30, 0.01),  # armed first, far away: removed before its time
        wait("short", 0.02, 5),  # earlier than the armed timer: the timer moves to it
        wait("later", 0.06, 5),  # due after "short" fired: the timer re-arms for it
        wait("quick", 0.5, 0.01),
    )
    assert outcomes == {
        "far": "finished",
        "short": "timed out",
        "later": "timed out",
        "quick": "finished",
    }
    assert len(timers) == 0
    task = asyncio.current_task()
    assert task is not None and task.cancelling() == 0


async def test_shared_deadlines_of_another_loop_fall_back_to_a_timer_of_its_own() -> None:
    from textql_async._deadline import Deadlines

    other = asyncio.new_event_loop()
    try:
        timers = Deadlines(other)
        with pytest.raises(TimeoutError):
            with deadline(0.01, timers):
                await asyncio.sleep(5)
        assert len(timers) == 0
    finally:
        other.close()
