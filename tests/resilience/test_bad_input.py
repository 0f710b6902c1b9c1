"""Bad input from the server or the caller: each case a typed error (or a tolerated oddity)."""

from __future__ import annotations

import time

import pytest
from _kit import DONE, HEADER, client, history_requests

from textql_async import (
    APIError,
    APITimeoutError,
    AuthenticationError,
    EventTooLargeError,
    PythonBlock,
    StreamError,
    TextBlock,
    Timeout,
)
from textql_async.testing import FakeTextQL, HTTPError, ScriptEvent, Stall, block_event

GOOD: ScriptEvent = ("block", {"tag": "TextBlock", "contents": "first", "id": "t1"})


async def _stream_error(script: list[ScriptEvent], **kwargs: object) -> StreamError:
    async with FakeTextQL() as fake:
        fake.add_answer("q", script)
        async with client(fake) as c:
            with pytest.raises(StreamError) as info:
                async with c.ana.stream("q", **kwargs) as stream:  # type: ignore[arg-type]
                    await stream.final()
            # ask() does not "recover" a malformed answer from the history
            with pytest.raises(StreamError):
                await c.ana.ask("q")
        assert history_requests(fake) == 0
    return info.value


async def test_malformed_json_in_a_block() -> None:
    bad = b'event: block\ndata: {"tag": "TextBlock", "contents": "unterminated\n\n'
    error = await _stream_error([*HEADER, GOOD, bad, DONE])
    assert error.raw is not None and "unterminated" in error.raw
    assert error.snapshot is not None
    assert error.snapshot.chat_id == "chat-r"
    assert error.snapshot.blocks == (TextBlock(id="t1", contents="first"),)


@pytest.mark.parametrize("view", ["updates", "coalesced", "snapshots", "text_deltas"])
async def test_blocks_before_a_malformed_event_in_the_same_write_are_yielded(view: str) -> None:
    """One write holds a good block and a malformed one: every view yields the good block,
    then raises (the decoder fails the whole chunk; the stream still gives what it held)."""
    good = b'event: block\ndata: {"tag":"TextBlock","contents":"kept","id":"t1"}\n\n'
    bad = b'event: block\ndata: {"tag": "TextBlock", "contents": "unterminated\n\n'
    seen: list[object] = []
    async with FakeTextQL() as fake:
        fake.add_answer("q", [*HEADER, good + bad, DONE])
        async with client(fake) as c:
            with pytest.raises(StreamError, match="malformed") as info:
                async with c.ana.stream("q", coalesce=view == "coalesced") as stream:
                    if view in ("updates", "coalesced"):
                        async for update in stream:
                            seen.append(update.block)
                    elif view == "snapshots":
                        async for snapshot in stream.snapshots():
                            seen.append(snapshot.blocks)
                    else:
                        async for delta in stream.text_deltas():
                            seen.append(delta)
    kept = TextBlock(id="t1", contents="kept")
    assert seen == {"snapshots": [(kept,)], "text_deltas": ["kept"]}.get(view, [kept])
    assert info.value.snapshot is not None and info.value.snapshot.blocks == (kept,)


@pytest.mark.parametrize("payload", [[1, 2], "a string", 42, None])
async def test_a_block_that_is_not_an_object(payload: object) -> None:
    error = await _stream_error([*HEADER, GOOD, ("block", payload), DONE])
    assert error.snapshot is not None and len(error.snapshot.blocks) == 1


@pytest.mark.parametrize("chat_id", [123, None, ["x"], {"id": "x"}])
async def test_chat_id_that_is_not_a_string(chat_id: object) -> None:
    error = await _stream_error([("chatId", chat_id), GOOD, DONE])
    assert error.snapshot is not None and error.snapshot.chat_id is None


async def test_an_event_larger_than_the_limit() -> None:
    big = ("block", {"tag": "TextBlock", "contents": "x" * 2000, "id": "big"})
    async with FakeTextQL() as fake:
        fake.add_answer("q", [*HEADER, GOOD, big, DONE])
        async with client(fake) as c:
            with pytest.raises(EventTooLargeError) as info:
                async with c.ana.stream("q", max_event_size=1024) as stream:
                    await stream.final()
            assert isinstance(info.value, StreamError)
            assert info.value.limit == 1024
            assert info.value.snapshot is not None
            assert info.value.snapshot.blocks == (TextBlock(id="t1", contents="first"),)
            # the default limit (16 MiB) accepts it
            assert (await c.ana.ask("q")).answer == "x" * 2000


async def test_a_non_utf8_byte_becomes_a_replacement_character() -> None:
    raw = b'event: block\ndata: {"tag":"TextBlock","contents":"caf\xe9 \xff ok","id":"u"}\n\n'
    async with FakeTextQL() as fake:
        fake.add_answer("q", [*HEADER, raw, DONE])
        async with client(fake) as c:
            result = await c.ana.ask("q")
    assert result.answer is not None
    assert "\ufffd" in result.answer and result.answer.endswith(" ok")
    assert result.answer.startswith("caf")


async def test_an_html_page_with_status_200() -> None:
    page = b"<html><head><title>Please sign in</title></head><body>SSO</body></html>"
    async with FakeTextQL() as fake:
        fake.inject(HTTPError(200, page, content_type="text/html"), times=None)
        async with client(fake) as c:
            with pytest.raises(APIError) as info:
                await c.ana.ask("q")
    assert info.value.status == 200
    assert not isinstance(info.value, StreamError)
    assert "text/html" in str(info.value)


async def test_content_type_text_plain() -> None:
    async with FakeTextQL() as fake:
        fake.inject(HTTPError(200, b"event: block\ndata: {}\n\n", content_type="text/plain"))
        async with client(fake) as c:
            with pytest.raises(APIError) as info:
                async with c.ana.stream("q") as stream:
                    await stream.final()
    assert info.value.status == 200
    assert "text/plain" in str(info.value)


async def test_an_empty_200_event_stream() -> None:
    async with FakeTextQL() as fake:
        fake.add_answer("q", [])
        async with client(fake) as c:
            with pytest.raises(StreamError) as info:
                await c.ana.ask("q")
    assert info.value.snapshot is not None
    assert info.value.snapshot.blocks == () and info.value.snapshot.chat_id is None


async def test_a_200_that_ends_without_done() -> None:
    script = [*HEADER, GOOD]
    async with FakeTextQL() as fake:
        fake.add_answer("q", script)
        async with client(fake) as c:
            with pytest.raises(StreamError) as info:
                await c.ana.ask("q", recover=False)
            assert info.value.snapshot is not None
            assert info.value.snapshot.blocks == (TextBlock(id="t1", contents="first"),)
            # recover=True and the chat id is known; the history's body then stays unchanged,
            # and a short window (the default is 30 s) keeps this test fast
            result = await c.ana.ask("q", recover_stable_for=0.2)
    assert result.recovered and result.blocks == (TextBlock(id="t1", contents="first"),)


async def test_only_keepalive_comments_then_a_stall() -> None:
    async with FakeTextQL() as fake:
        fake.inject(Stall(after_events=0, keepalive_interval=0.02))
        async with client(fake) as c:
            started = time.monotonic()
            with pytest.raises(APITimeoutError):
                await c.ana.ask("q", timeout=Timeout(idle=0.1))
            assert time.monotonic() - started < 1.5
        await fake.wait_for_disconnects(timeout=1)


async def test_unknown_event_names_are_ignored() -> None:
    script: list[ScriptEvent] = [
        ("chatId", "chat-u"),
        ("futureEvent", {"anything": [1, 2]}),
        b"event: weird\ndata: not json at all\n\n",
        b"data: an unnamed message event\n\n",
        GOOD,
        ("progress", 0.5),
        DONE,
    ]
    async with FakeTextQL() as fake:
        fake.add_answer("q", script)
        async with client(fake) as c:
            result = await c.ana.ask("q")
    assert result.chat_id == "chat-u"
    assert result.blocks == (TextBlock(id="t1", contents="first"),)
    assert not result.recovered


async def test_wrong_credentials_give_the_servers_message() -> None:
    async with FakeTextQL() as fake:
        async with client(fake, api_key="wrong-key-1234") as c:
            with pytest.raises(AuthenticationError) as info:
                await c.ana.ask("q")
            with pytest.raises(AuthenticationError):
                await c.ana.chat_summaries()
    assert info.value.status == 401
    assert "missing or invalid API credentials" in str(info.value)
    assert sum(1 for r in fake.requests if r.path == "/api/ana") == 1  # 401 is not retried


async def test_a_huge_but_valid_python_block() -> None:
    code = "print('x')\n" * (10 * 1024 * 1024 // 11)  # ~10 MB
    huge = block_event({"tag": "PythonBlock", "contents": code, "id": "py"})
    async with FakeTextQL() as fake:
        fake.add_answer("q", [*HEADER, GOOD, huge, DONE])
        async with client(fake) as c:
            result = await c.ana.ask("q")
    assert len(result.blocks) == 2
    block = result.blocks[1]
    assert isinstance(block, PythonBlock) and block.contents == code
    assert len(code) > 10_000_000


@pytest.mark.parametrize(
    "kwargs",
    [
        {"query": ""},
        {"query": "   "},
        {"query": "q", "ontology_connector_id": -1},
        {"query": "q", "use_ontology": True},
        {"query": "q", "dataset": ""},
    ],
    ids=["empty", "blank", "negative-connector", "ontology-without-connector", "empty-dataset"],
)
async def test_invalid_arguments_fail_before_any_request(kwargs: dict[str, object]) -> None:
    async with FakeTextQL() as fake:
        async with client(fake) as c:
            with pytest.raises(ValueError):
                await c.ana.ask(**kwargs)  # type: ignore[arg-type]
            with pytest.raises(ValueError):
                c.ana.stream(**kwargs)  # type: ignore[arg-type]
            with pytest.raises(ValueError):
                await c.ana.chat_messages("")
        assert fake.requests == []
