"""Cancelling v2 answers: ``chats.cancel`` and ``stream(..., cancel_on_exit=True)``."""

from __future__ import annotations

import asyncio

import pytest

from textql_async import AsyncTextQL, ChatFailedError, NotFoundError, ServerError, StreamError
from textql_async.models.v2_chats import CellEvent, Done, Metadata
from textql_async.testing import FakeTextQL
from textql_async.testing._v2 import CancelCall

SLOW = 0.05  # seconds between events: the answer is still running when the consumer leaves


def _slow(fake: FakeTextQL) -> None:
    """Pace the answer; once its stream is cut, Ana needs 5 s more server-side (no races)."""
    fake.v2.add_answer("q", event_delay=SLOW)
    fake.answer_completes_after = 5.0


async def _is_running(client: AsyncTextQL, chat_id: str) -> bool | None:
    page = await client.chats.list()
    return next(c.is_running for c in page.chats if c.id == chat_id)


async def test_leaving_early_cancels_the_answer(fake: FakeTextQL, client: AsyncTextQL) -> None:
    _slow(fake)
    async with client.chats.stream("q", cancel_on_exit=True) as stream:
        async for event in stream:
            if isinstance(event, CellEvent):
                break
    chat_id = stream.chat_id
    assert chat_id is not None
    assert fake.v2.cancels == [CancelCall(chat_id, cancelled=True)]
    assert [r.path for r in fake.requests][-1] == f"/v2/chats/{chat_id}/cancel"
    assert await _is_running(client, chat_id) is False
    # a cancelled answer never lands in the history; its step is halted
    thread = await client.chats.get(chat_id)
    assert [m.role for m in thread.messages] == ["user"]
    assert [c.status for c in (await client.chats.cells(chat_id)).cells] == ["completed", "halted"]


async def test_cancelling_the_consumer_task_cancels_the_answer(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    _slow(fake)
    started = asyncio.Event()

    async def consume() -> None:
        async with client.chats.stream("q", cancel_on_exit=True) as stream:
            async for event in stream:
                if isinstance(event, Metadata):
                    started.set()

    task = asyncio.create_task(consume())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (call,) = fake.v2.cancels
    assert call.cancelled is True
    assert fake.v2.store.get(call.chat_id) is not None


async def test_no_cancel_after_a_completed_stream(fake: FakeTextQL, client: AsyncTextQL) -> None:
    async with client.chats.stream("q", cancel_on_exit=True) as stream:
        events = [event async for event in stream]
    assert isinstance(events[-1], Done)
    assert fake.v2.cancels == []
    assert not any(r.path.endswith("/cancel") for r in fake.requests)


async def test_no_cancel_after_a_failed_answer(fake: FakeTextQL, client: AsyncTextQL) -> None:
    fake.v2.add_answer("q", error="boom")
    async with client.chats.stream("q", cancel_on_exit=True) as stream:
        with pytest.raises(ChatFailedError):
            await stream.final()
    assert fake.v2.cancels == []


async def test_without_cancel_on_exit_ana_keeps_working(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    _slow(fake)
    async with client.chats.stream("q") as stream:
        async for event in stream:
            if isinstance(event, CellEvent):
                break
    assert stream.chat_id is not None
    assert fake.v2.cancels == []
    # the service finishes the answer server-side: the chat is still running for now
    assert await _is_running(client, stream.chat_id) is True


async def test_a_cut_answer_lands_in_the_history(fake: FakeTextQL, client: AsyncTextQL) -> None:
    fake.v2.add_answer("q", drop_after=2)
    async with client.chats.stream("q") as stream:
        with pytest.raises(StreamError):
            await stream.final()
    assert stream.chat_id is not None
    thread = await client.chats.get(stream.chat_id)
    assert [m.role for m in thread.messages] == ["user", "assistant"]
    assert await client.chats.cancel(stream.chat_id) is False  # nothing left to stop


async def test_cancel_from_another_task_ends_the_stream(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    _slow(fake)
    async with client.chats.stream("q") as stream:
        async for event in stream:
            if isinstance(event, Metadata):
                assert event.chat_id is not None
                assert await client.chats.cancel(event.chat_id) is True
        with pytest.raises(ChatFailedError, match="cancelled") as info:
            await stream.final()
    assert info.value.result.status == "failed"
    assert stream.snapshot.done == Done(status="failed", error="the chat was cancelled")


async def test_cancel_of_an_idle_or_unknown_chat(fake: FakeTextQL, client: AsyncTextQL) -> None:
    answered = await client.chats.create("q")
    assert answered.chat_id is not None
    assert await client.chats.cancel(answered.chat_id) is False
    assert fake.v2.cancels == [CancelCall(answered.chat_id, cancelled=False)]
    with pytest.raises(NotFoundError):
        await client.chats.cancel("f0e1d2c3-0000-4000-8000-000000000000")
    with pytest.raises(ValueError, match="chat_id"):
        await client.chats.cancel("")


async def test_cancel_stops_a_synchronous_answer(fake: FakeTextQL, client: AsyncTextQL) -> None:
    _slow(fake)  # the synchronous answer takes 8 events x SLOW
    asking = asyncio.create_task(client.chats.create("q"))
    await fake.wait_for_requests(1)
    for _ in range(1000):  # the body is read, then the chat stored: a moment later
        if len(fake.v2.store):
            break
        await asyncio.sleep(0.005)
    (chat,) = fake.v2.store.all()
    assert await _is_running(client, chat.id) is True
    assert await client.chats.cancel(chat.id) is True
    with pytest.raises(ServerError) as info:
        await asyncio.wait_for(asking, 5)
    assert info.value.code == "cancelled"
