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
