"""Drop recovery: a broken stream's answer is fetched from the chat history, never lost."""

from __future__ import annotations

import time

import aiohttp
import pytest
from _kit import (
    DONE,
    HEADER,
    ana_requests,
    client,
    default_script,
    final_answer,
    history_requests,
)

from textql_async import APIConnectionError, APITimeoutError, StreamError, Timeout
from textql_async.testing import (
    DropAfter,
    FakeTextQL,
    HTTPError,
    ScriptEvent,
    Stall,
    Truncate,
)

SCRIPT: list[ScriptEvent] = [
    *HEADER,
    ("block", {"tag": "TextBlock", "contents": "Looking", "id": "t1"}),
    ("block", {"tag": "TextBlock", "contents": "Looking at stores", "id": "t1"}),
    ("block", {"tag": "PythonBlock", "contents": "df = load()", "id": "p1"}),
    ("block", {"tag": "PythonBlock", "contents": "df = load()\nprint(df)", "id": "p1"}),
    (
        "block",
        {
            "tag": "PythonBlock",
            "contents": "df = load()\nprint(df)",
            "results": [{"tag": "TextResult", "contents": "New York 150000"}],
            "id": "p1",
        },
    ),
    ("block", {"tag": "TextBlock", "contents": "New York", "id": "t2"}),
    ("block", {"tag": "TextBlock", "contents": "New York is the largest.", "id": "t2"}),
    DONE,
]
FINAL = final_answer(SCRIPT)
STABLE = 0.2
"""A short stability window, so these tests stay fast (the rule is the same; the default is 30 s)."""


@pytest.mark.parametrize(
    "fault",
    [
        DropAfter(events=1),
        DropAfter(events=5),
        DropAfter(bytes=300),
        Truncate(after_events=6),
        Truncate(after_events=len(SCRIPT) - 1),
    ],
    ids=repr,
)
async def test_broken_stream_after_chat_id_is_recovered(fault: object) -> None:
    async with FakeTextQL() as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(fault)  # type: ignore[arg-type]
        async with client(fake) as c:
            result = await c.ana.ask("q", recover_stable_for=STABLE)
    assert result.recovered is True
    assert result.blocks == FINAL
    assert result.answer == "New York is the largest."
    assert (result.chat_id, result.assistant_msg_id) == ("chat-r", 12)
    assert result.user_msg_id in (None, 11)  # None when the drop came before userMsgId
    assert result.errors == ()
    assert ana_requests(fake) == 1  # the question was never asked twice
    assert history_requests(fake) >= 2


async def test_default_answer_is_recovered_after_a_reset() -> None:
    async with FakeTextQL() as fake:
        fake.inject(DropAfter(events=9))
        async with client(fake) as c:
            result = await c.ana.ask("Which store is the largest?", recover_stable_for=STABLE)
        chat = fake.chats[0]
    assert result.recovered
    assert result.blocks == final_answer(default_script(chat))
    assert result.chat_id == chat.chat_id
    assert result.assistant_msg_id == chat.assistant_msg_id


@pytest.mark.parametrize("keepalive", [None, 0.02])
async def test_idle_timeout_is_recovered(keepalive: float | None) -> None:
    async with FakeTextQL() as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(Stall(after_events=4, keepalive_interval=keepalive))
        async with client(fake) as c:
            result = await c.ana.ask("q", timeout=Timeout(idle=0.1), recover_stable_for=STABLE)
        await fake.wait_for_disconnects(timeout=2)
    assert result.recovered and result.blocks == FINAL
    assert ana_requests(fake) == 1


async def test_recovery_waits_for_a_lagging_history() -> None:
    async with FakeTextQL(answer_completes_after=0.25) as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(DropAfter(events=5))
        async with client(fake) as c:
            started = time.monotonic()
            # the partial message (ending on a TextBlock) shows for 0.25 s: a window longer
            # than that is what keeps it from passing for complete
            result = await c.ana.ask("q", recover_stable_for=0.5)
            elapsed = time.monotonic() - started
    assert result.recovered and result.blocks == FINAL
    assert elapsed >= 0.2
    assert history_requests(fake) >= 3  # polled while the answer was not there yet


async def test_recovery_survives_transient_history_errors() -> None:
    async with FakeTextQL() as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(DropAfter(events=5))
        fake.inject(HTTPError(503), times=1, path="/api/ana/chat-r")
        async with client(fake) as c:
            result = await c.ana.ask("q", recover_stable_for=STABLE)
    assert result.recovered and result.blocks == FINAL


async def test_recovery_uses_the_last_assistant_message_without_assistant_msg_id() -> None:
    script: list[ScriptEvent] = [("chatId", "chat-noid"), *SCRIPT[3:]]
    async with FakeTextQL() as fake:
        fake.add_answer("q", script)
        fake.inject(DropAfter(events=3))
        async with client(fake) as c:
            result = await c.ana.ask("q", recover_stable_for=STABLE)
        chat = fake.chats[0]
    assert result.recovered and result.blocks == FINAL
    assert result.assistant_msg_id in (None, chat.assistant_msg_id)


async def test_recover_false_raises_with_every_block_received() -> None:
    async with FakeTextQL() as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(DropAfter(events=6))
        async with client(fake) as c:
            with pytest.raises(StreamError) as info:
                await c.ana.ask("q", recover=False)
    snapshot = info.value.snapshot
    assert snapshot is not None
    assert snapshot.chat_id == "chat-r" and snapshot.assistant_msg_id == 12
    assert snapshot.blocks == final_answer(SCRIPT[:6])
    assert not snapshot.done
    assert history_requests(fake) == 0
    assert isinstance(info.value.__cause__, aiohttp.ClientError)


async def test_recovery_timeout_raises_with_the_snapshot() -> None:
    async with FakeTextQL(answer_completes_after=60) as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(DropAfter(events=5))
        async with client(fake) as c:
            started = time.monotonic()
            with pytest.raises(StreamError) as info:
                await c.ana.ask("q", recover_timeout=0.25)  # the default 30 s window
            elapsed = time.monotonic() - started
    assert elapsed < 1.5
    snapshot = info.value.snapshot
    assert snapshot is not None and snapshot.chat_id == "chat-r"
    assert snapshot.blocks == final_answer(SCRIPT[:5])
    assert history_requests(fake) >= 2


async def test_missing_chat_ends_recovery_at_once() -> None:
    async with FakeTextQL() as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(DropAfter(events=4))
        fake.inject(HTTPError(404), times=None, path="/api/ana/chat-r")
        async with client(fake) as c:
            started = time.monotonic()
            with pytest.raises(StreamError) as info:
                await c.ana.ask("q", recover_stable_for=STABLE)
            assert time.monotonic() - started < 1.0
    assert info.value.snapshot is not None
    assert info.value.snapshot.chat_id == "chat-r"
    assert info.value.snapshot.blocks == final_answer(SCRIPT[:4])
    assert history_requests(fake) == 1


async def test_stream_never_recovers_by_itself() -> None:
    async with FakeTextQL() as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(DropAfter(events=6))
        async with client(fake) as c:
            seen = []
            with pytest.raises(StreamError) as info:
                async with c.ana.stream("q") as stream:
                    async for update in stream:
                        seen.append(update.block)
    assert info.value.snapshot is not None
    assert info.value.snapshot.blocks == final_answer(SCRIPT[:6])
    assert seen == [b for b in final_answer(SCRIPT[:6])] or len(seen) == 3
    assert history_requests(fake) == 0
    assert ana_requests(fake) == 1


async def test_a_drop_before_chat_id_cannot_be_recovered() -> None:
    async with FakeTextQL() as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(DropAfter(events=0))
        async with client(fake) as c:
            with pytest.raises((StreamError, APIConnectionError)) as info:
                await c.ana.ask("q", recover_stable_for=STABLE)
    assert not isinstance(info.value, APITimeoutError)
    assert ana_requests(fake) == 1
    assert history_requests(fake) == 0


async def test_a_stream_without_done_is_recovered_or_raised() -> None:
    script = SCRIPT[:-1]  # the server ends the body cleanly, without done
    async with FakeTextQL() as fake:
        fake.add_answer("q", script)
        async with client(fake) as c:
            with pytest.raises(StreamError) as info:
                await c.ana.ask("q", recover=False)
            assert info.value.snapshot is not None
            assert info.value.snapshot.blocks == FINAL
            result = await c.ana.ask("q", recover_stable_for=STABLE)
    assert result.recovered and result.blocks == FINAL
    assert ana_requests(fake) == 2
