"""Recovery never returns a partial answer as complete, against a history that lags or stalls."""

from __future__ import annotations

import time

import pytest
from _kit import DONE, HEADER, ana_requests, client, final_answer, history_requests

from textql_async import (
    APITimeoutError,
    NotFoundError,
    RecoveryTimeoutError,
    ServerError,
    Snapshot,
    StreamError,
    TextBlock,
    Timeout,
)
from textql_async.testing import DropAfter, FakeTextQL, HTTPError, ScriptEvent, Stall

RUNNING: dict[str, object] = {
    "tag": "PythonBlock",
    "contents": "sales.groupby('region')",
    "id": "p1",
}
SCRIPT: list[ScriptEvent] = [
    *HEADER,
    ("block", {"tag": "TextBlock", "contents": "Let me", "id": "t1"}),
    ("block", {"tag": "TextBlock", "contents": "Let me compute that.", "id": "t1"}),
    ("block", RUNNING),
    ("block", {**RUNNING, "results": [{"tag": "TextResult", "contents": "East 10"}]}),
    ("block", {"tag": "TextBlock", "contents": "East", "id": "t2"}),
    ("block", {"tag": "TextBlock", "contents": "East leads with 10.", "id": "t2"}),
    DONE,
]
FINAL = final_answer(SCRIPT)
STREAMED = final_answer(SCRIPT[:6])  # "Let me compute that." and the running PythonBlock
AFTER_RESULTS = final_answer(SCRIPT[:7])  # the text and the PythonBlock with its results
STABLE = 0.2


async def test_the_issue_case_partial_for_3_s_then_complete() -> None:
    # the drop comes while the Python cell runs; the history holds the partial message
    async with FakeTextQL(answer_completes_after=3.0) as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(DropAfter(events=6))
        async with client(fake) as c:
            started = time.monotonic()
            result = await c.ana.ask("q", recover_stable_for=STABLE)
            elapsed = time.monotonic() - started
    assert result.recovered is True
    assert result.answer == "East leads with 10."
    assert result.blocks == FINAL and len(result.blocks) == 3
    assert 2.9 <= elapsed < 6.0
    assert history_requests(fake) >= 3  # the same partial body was read again and again
    assert ana_requests(fake) == 1


async def test_a_history_behind_the_stream_never_returns_the_shorter_answer() -> None:
    # no assistant message for 0.75 s, then only "Let me compute that." (the stream had the
    # PythonBlock too) for 0.75 s - a body that looks finished and stays unchanged far
    # longer than the window; only the lower bound keeps it from passing for complete
    async with FakeTextQL(answer_completes_after=1.5, history="lagging") as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(DropAfter(events=7))
        async with client(fake) as c:
            result = await c.ana.ask("q", recover_stable_for=STABLE)
    assert result.recovered and result.blocks == FINAL
    assert result.answer == "East leads with 10."
    assert history_requests(fake) >= 5


async def test_a_history_that_stays_partial_raises_after_about_6_s() -> None:
    async with FakeTextQL(history="partial") as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(DropAfter(events=7))
        async with client(fake) as c:
            started = time.monotonic()
            with pytest.raises(StreamError) as info:
                await c.ana.ask("q", recover_timeout=6)
            elapsed = time.monotonic() - started
    assert 5.9 <= elapsed < 8.0
    error = info.value
    assert error.snapshot is not None and not error.snapshot.done
    assert error.snapshot.blocks == AFTER_RESULTS  # every streamed block, newest version
    assert (error.snapshot.chat_id, error.snapshot.assistant_msg_id) == ("chat-r", 12)
    # why: the RecoveryTimeoutError (its reason names the part of the rule that was unmet)
    cause = error.__context__
    assert isinstance(cause, RecoveryTimeoutError)
    assert "the last block is a PythonBlock" in cause.reason
    assert cause.snapshot == error.snapshot and cause.recoverable


async def test_the_error_snapshot_merges_the_history_body() -> None:
    # the caller only knew the first version of t1; the history holds more: both count
    async with FakeTextQL(history="partial") as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(DropAfter(events=6))
        async with client(fake) as c:
            with pytest.raises(StreamError):
                await c.ana.ask("q", recover=False)
            known = Snapshot((TextBlock("t1", "Let me"),), "chat-r", 11, 12)
            with pytest.raises(RecoveryTimeoutError) as info:
                await c.ana.recover("chat-r", snapshot=known, timeout=0.3, stable_for=STABLE)
    assert info.value.snapshot is not None
    assert info.value.snapshot.blocks == STREAMED
    assert info.value.chat_id == "chat-r"
    assert "PythonBlock 'p1' has no results yet" in str(info.value)


async def test_a_flaky_history_is_still_recovered() -> None:
    async with FakeTextQL(history="flaky", answer_completes_after=0.3) as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(DropAfter(events=6))
        async with client(fake) as c:
            result = await c.ana.ask("q", recover_stable_for=STABLE)
    assert result.recovered and result.blocks == FINAL


async def test_recover_from_the_chat_id_alone() -> None:
    async with FakeTextQL(answer_completes_after=0.4) as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(DropAfter(events=6))
        async with client(fake) as c:
            with pytest.raises(StreamError):
                await c.ana.ask("q", recover=False)
            started = time.monotonic()
            result = await c.ana.recover("chat-r", stable_for=STABLE)
            elapsed = time.monotonic() - started
    assert result.recovered and result.blocks == FINAL
    assert (result.chat_id, result.user_msg_id, result.assistant_msg_id) == ("chat-r", 11, 12)
    assert elapsed >= STABLE  # the window was waited out: the history never said more


async def test_the_default_window_does_not_take_a_quiet_partial_text_for_an_answer() -> None:
    # A partial body that ends on a TextBlock with nothing running looks finished: only
    # time tells. With the default 30 s window, a second of silence proves nothing.
    async with FakeTextQL(answer_completes_after=60) as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(DropAfter(events=4))  # the stream (and the history) had "Let me" only
        async with client(fake) as c:
            with pytest.raises(StreamError) as info:
                await c.ana.ask("q", recover_timeout=1.0)
    cause = info.value.__context__
    assert isinstance(cause, RecoveryTimeoutError)
    assert "of the 30 s stability window" in cause.reason
    assert info.value.snapshot is not None
    assert info.value.snapshot.blocks == final_answer(SCRIPT[:4])
    assert history_requests(fake) >= 3


async def test_recover_arguments_are_checked_before_any_request() -> None:
    async with FakeTextQL() as fake:
        async with client(fake) as c:
            with pytest.raises(ValueError, match="belongs to chat 'other'"):
                await c.ana.recover("chat-r", snapshot=Snapshot(chat_id="other"))
            with pytest.raises(ValueError, match="recover_timeout"):
                await c.ana.recover("chat-r", timeout=-1)
            with pytest.raises(TypeError, match="recover_stable_for"):
                await c.ana.recover("chat-r", stable_for="soon")  # type: ignore[arg-type]
            with pytest.raises(ValueError, match="recover_stable_for"):
                await c.ana.ask("q", recover_stable_for=float("nan"))
            with pytest.raises(ValueError):
                await c.ana.recover("")
    assert fake.requests == []


async def test_recover_of_a_missing_chat_raises_not_found_at_once() -> None:
    async with FakeTextQL() as fake:
        async with client(fake) as c:
            started = time.monotonic()
            with pytest.raises(NotFoundError):
                await c.ana.recover("no-such-chat", timeout=5)
            assert time.monotonic() - started < 1.0
    assert history_requests(fake) == 1


async def test_batch_passes_recover_stable_for_through() -> None:
    async with FakeTextQL(answer_completes_after=0.3) as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(DropAfter(events=6))
        async with client(fake) as c:
            items = [i async for i in c.ana.batch(["q"], recover_stable_for=STABLE)]
            with pytest.raises(ValueError, match="recover_stable_for"):
                async for _ in c.ana.batch(["q"], recover_stable_for=-1):
                    pass
    assert items[0].ok and items[0].result is not None
    assert items[0].result.recovered and items[0].result.blocks == FINAL


async def test_a_history_that_cannot_be_read_ends_in_a_typed_error_with_the_cause() -> None:
    async with FakeTextQL() as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(DropAfter(events=6))
        fake.inject(HTTPError(503), times=None, path="/api/ana/chat-r")
        async with client(fake) as c:
            with pytest.raises(StreamError):
                await c.ana.ask("q", recover=False)
            known = Snapshot(STREAMED, "chat-r", 11, 12)
            with pytest.raises(RecoveryTimeoutError) as info:
                await c.ana.recover("chat-r", snapshot=known, timeout=0.4, stable_for=STABLE)
    assert "could not be read (ServerError" in info.value.reason
    assert isinstance(info.value.__cause__, ServerError)
    assert info.value.snapshot is not None and info.value.snapshot.blocks == STREAMED
    assert history_requests(fake) >= 3  # retried with backoff until the deadline


async def test_an_idle_timeout_keeps_its_type_and_gets_the_merged_snapshot() -> None:
    async with FakeTextQL(history="partial") as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(Stall(after_events=4))  # the stream (and the history, for good) had "Let me"
        async with client(fake) as c:
            with pytest.raises(APITimeoutError) as info:
                await c.ana.ask("q", timeout=Timeout(idle=0.2), recover_timeout=0.4)
        await fake.wait_for_disconnects(timeout=2)
    assert not isinstance(info.value, RecoveryTimeoutError)  # the original error, kept
    assert info.value.snapshot is not None
    assert info.value.snapshot.blocks == (TextBlock("t1", "Let me"),)
    assert isinstance(info.value.__context__, RecoveryTimeoutError)
