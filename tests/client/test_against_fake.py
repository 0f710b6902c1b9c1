"""The client end to end against FakeTextQL: the issue's "done when" and the stream views."""

from __future__ import annotations

import pytest

from textql_async import (
    APIError,
    AuthenticationError,
    ErrorBlock,
    PythonBlock,
    StreamError,
    TextBlock,
    TextResult,
    UnknownBlock,
)
from textql_async.testing import DOCS_EXAMPLE_STREAM, FakeTextQL, HTTPError, block_event

HEADER = [("chatId", "chat-x"), ("userMsgId", 1), ("assistantMsgId", 2)]
DONE = ("message", "done")


async def test_docs_example_gives_exactly_two_blocks() -> None:
    async with FakeTextQL() as fake:
        fake.add_answer("largest store?", [DOCS_EXAMPLE_STREAM])
        async with fake.client() as client:
            result = await client.ana.ask("largest store?")
    assert result.chat_id == "nahar-alpha-cd66081b89c5cd9b0c"
    assert (result.user_msg_id, result.assistant_msg_id) == (33893, 33894)
    assert len(result.blocks) == 2
    text, python = result.blocks
    assert isinstance(text, TextBlock) and text.id == "abc123"
    assert text.contents.endswith("New York.")
    assert isinstance(python, PythonBlock) and python.id == "def456"
    assert python.results is not None and len(python.results) == 1
    assert isinstance(python.results[0], TextResult)
    assert result.answer == text.contents
    assert result.errors == () and result.recovered is False


@pytest.mark.parametrize("chunk_size", [1, 7, 64, None])
async def test_docs_example_in_any_tcp_chunking(chunk_size: int | None) -> None:
    async with FakeTextQL(chunk_size=chunk_size) as fake:
        fake.add_answer("q", [DOCS_EXAMPLE_STREAM])
        async with fake.client() as client, client.ana.stream("q") as stream:
            updates = [u async for u in stream]
    assert [(u.index, u.is_new) for u in updates] == [(0, True), (0, False), (1, True), (1, False)]
    assert stream.snapshot.done


async def test_default_answer_views_agree() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        async with client.ana.stream("Which store is the largest?") as stream:
            updates = [u async for u in stream]
        final = stream.snapshot
        async with client.ana.stream("Which store is the largest?") as stream:
            snapshots = [s async for s in stream.snapshots()]
        async with client.ana.stream("Which store is the largest?") as stream:
            deltas = [d async for d in stream.text_deltas()]
        async with client.ana.stream("Which store is the largest?") as stream:
            completed = [b async for b in stream.completed_blocks()]
        result = await client.ana.ask("Which store is the largest?")
    assert final.done and snapshots[-1].done
    assert snapshots[-1].blocks == final.blocks == result.blocks
    assert list(completed) == list(final.blocks)
    assert updates[-1].block == final.blocks[updates[-1].index]
    texts = [b.contents for b in final.blocks if isinstance(b, TextBlock)]
    assert "".join(deltas) == "\n\n".join(texts)  # each TextBlock its own paragraph
    assert result.answer == texts[-1]


async def test_early_break_closes_the_connection() -> None:
    async with FakeTextQL(event_delay=0.01) as fake, fake.client() as client:
        async with client.ana.stream("Which store is the largest?") as stream:
            async for _ in stream:
                break
        await fake.wait_for_disconnects()
        assert fake.open_connections == 0
        assert not stream.snapshot.done


async def test_error_blocks_are_collected_not_raised() -> None:
    events = [
        *HEADER,
        ("block", {"tag": "ErrorBlock", "contents": "dataset missing"}),
        ("block", {"tag": "TextBlock", "id": "t", "contents": "partial answer"}),
        ("block", {"tag": "ErrorBlock", "contents": "second error"}),
        DONE,
    ]
    async with FakeTextQL() as fake, fake.client() as client:
        fake.add_answer("q", events)
        result = await client.ana.ask("q")
    assert [e.contents for e in result.errors] == ["dataset missing", "second error"]
    assert all(isinstance(e, ErrorBlock) for e in result.errors)
    assert len(result.blocks) == 3
    assert result.answer == "partial answer"


async def test_unknown_tag_and_extra_fields_survive() -> None:
    events = [
        *HEADER,
        ("block", {"tag": "ChartBlock", "id": "c", "spec": {"kind": "bar"}}),
        ("block", {"tag": "TextBlock", "id": "t", "contents": "hi", "future": [1, 2]}),
        DONE,
    ]
    async with FakeTextQL() as fake, fake.client() as client:
        fake.add_answer("q", events)
        result = await client.ana.ask("q")
    chart, text = result.blocks
    assert isinstance(chart, UnknownBlock)
    assert chart.tag == "ChartBlock" and chart.raw["spec"] == {"kind": "bar"}
    assert text == TextBlock("t", "hi")


async def test_malformed_block_is_a_stream_error_with_partial_snapshot() -> None:
    events = [
        *HEADER,
        ("block", {"tag": "TextBlock", "id": "t", "contents": "kept"}),
        b'event: block\ndata: {"tag": "TextBlock", "contents": \n\n',
        DONE,
    ]
    async with FakeTextQL() as fake, fake.client() as client:
        fake.add_answer("q", events)
        with pytest.raises(StreamError) as info:
            await client.ana.ask("q")
    assert info.value.raw is not None and '"contents":' in info.value.raw
    assert info.value.snapshot is not None
    assert info.value.snapshot.blocks == (TextBlock("t", "kept"),)


async def test_unknown_events_are_ignored() -> None:
    events = [*HEADER, ("heartbeat", {"n": 1}), block_event({"tag": "TextBlock", "id": "a", "contents": "x"}), DONE]
    async with FakeTextQL() as fake, fake.client() as client:
        fake.add_answer("q", events)
        result = await client.ana.ask("q")
    assert result.blocks == (TextBlock("a", "x"),)


async def test_wrong_credentials_give_401() -> None:
    async with FakeTextQL() as fake:
        async with fake.client(api_key="wrong") as client:
            with pytest.raises(AuthenticationError) as info:
                await client.ana.ask("q")
    assert info.value.status == 401
    assert "wrong" not in str(info.value)


async def test_html_page_with_200_is_an_api_error() -> None:
    page = b"<html><head><title>Maintenance</title></head><body>back soon</body></html>"
    async with FakeTextQL() as fake, fake.client() as client:
        fake.inject(HTTPError(200, body=page, content_type="text/html"))
        with pytest.raises(APIError) as info:
            await client.ana.ask("q")
    assert info.value.status == 200
    assert "Maintenance" in str(info.value)


async def test_chats_served_appear_in_history() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        result = await client.ana.ask("Which store is the largest?")
        summaries = await client.ana.chat_summaries()
        messages = await client.ana.chat_messages(result.chat_id or "")
    assert [s.inner_id for s in summaries] == [result.chat_id]
    assert summaries[0].inner_val.last_user_message is not None
    user, assistant = messages
    assert user.author.tag == "User" and assistant.author.tag == "Assistant"
    assert assistant.inner_id == result.assistant_msg_id
    assert tuple(assistant.body) == result.blocks


async def test_bearer_auth_is_accepted_without_member_id() -> None:
    async with FakeTextQL() as fake:
        async with fake.client(member_id="") as client:
            result = await client.ana.ask("q")
    assert result.answer
    assert fake.requests[-1].headers["Authorization"].startswith("Bearer ")
