"""Connection reuse after ``done``, and transport errors never escaping raw."""

from __future__ import annotations

import aiohttp
import pytest
from _kit import DONE, HEADER, client

from textql_async import APIConnectionError, StreamError
from textql_async.testing import Disconnect, DropAfter, FakeTextQL, ScriptEvent, sse_comment

SCRIPT: list[ScriptEvent] = [
    *HEADER,
    ("block", {"tag": "TextBlock", "contents": "Hi", "id": "t"}),
    DONE,
]


async def test_two_asks_in_a_row_use_one_connection() -> None:
    async with FakeTextQL() as fake:
        async with client(fake) as c:
            first = await c.ana.ask("one")
            second = await c.ana.ask("two")
            assert first.answer and second.answer
            assert fake.total_connections == 1
            assert fake.active_streams == 0


async def test_streams_history_and_asks_share_one_connection() -> None:
    async with FakeTextQL() as fake:
        async with client(fake) as c:
            async with c.ana.stream("one") as stream:
                async for _ in stream:
                    pass
            result = await c.ana.ask("two")
            assert result.chat_id is not None
            assert len(await c.ana.chat_messages(result.chat_id)) == 2
            assert len(await c.ana.chat_summaries()) == 2
            async with c.ana.stream("three") as stream:
                await stream.final()
        assert fake.total_connections == 1


async def test_bytes_after_done_are_drained_so_the_connection_is_reused() -> None:
    trailer: list[ScriptEvent] = [sse_comment("bye"), b"event: late\ndata: {}\n\n"]
    async with FakeTextQL() as fake:
        fake.add_answer("q", [*SCRIPT, *trailer])
        async with client(fake) as c:
            for _ in range(3):
                assert (await c.ana.ask("q")).answer == "Hi"
        assert fake.total_connections == 1


async def test_a_broken_connection_is_not_reused() -> None:
    async with FakeTextQL() as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(DropAfter(events=3))
        async with client(fake) as c:
            with pytest.raises(StreamError):
                await c.ana.ask("q", recover=False)
            assert (await c.ana.ask("q")).answer == "Hi"
        assert fake.total_connections == 2


@pytest.mark.parametrize("fault", [DropAfter(events=4), DropAfter(bytes=70)], ids=repr)
async def test_mid_stream_reset_is_a_stream_error_caused_by_aiohttp(fault: DropAfter) -> None:
    async with FakeTextQL() as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(fault)
        async with client(fake) as c:
            with pytest.raises(StreamError) as info:
                async with c.ana.stream("q") as stream:
                    await stream.final()
    assert not isinstance(info.value, aiohttp.ClientError)
    assert isinstance(info.value.__cause__, aiohttp.ClientError)
    assert info.value.snapshot is not None


async def test_hang_up_before_a_response_is_a_connection_error_caused_by_aiohttp() -> None:
    async with FakeTextQL() as fake:
        fake.inject(Disconnect(), times=None)
        async with client(fake) as c:
            with pytest.raises(APIConnectionError) as info:
                await c.ana.chat_summaries()
            with pytest.raises(APIConnectionError) as info_stream:
                await c.ana.ask("q")
    for error in (info.value, info_stream.value):
        assert not isinstance(error, aiohttp.ClientError)
        assert isinstance(error.__cause__, aiohttp.ServerDisconnectedError)
    assert fake.chats == []
