"""A drop at every event boundary of the default answer, and at byte offsets inside events.

With ``recover=True`` every cut after ``chatId`` yields the complete answer; with
``recover=False`` every cut raises a ``StreamError`` whose snapshot is exactly the fold of
the events that arrived (each block a version the server really sent). A cut before
``chatId`` raises a typed error, and the question is never sent twice.
"""

from __future__ import annotations

import itertools

import aiohttp
import pytest
from _kit import ana_requests, client, default_script, event_bytes, final_answer, versions

from textql_async import APIConnectionError, StreamError
from textql_async.testing import DropAfter, FakeTextQL, ScriptEvent, default_answer

QUESTION = "Which store is the largest?"
# The fake's chat ids have a fixed length, so event sizes do not depend on the run.
_SAMPLE = default_answer(
    QUESTION, chat_id="fake-chat-0123456789abcdef01", user_msg_id=33893, assistant_msg_id=33894
)
N_EVENTS = len(_SAMPLE)
ENDS = list(itertools.accumulate(event_bytes(_SAMPLE)))  # byte offset where each event ends
CUTS = list(range(N_EVENTS + 1))  # DropAfter(events=k): k events arrive, then the reset
BYTE_CUTS = sorted(
    {
        0,
        20,  # inside chatId
        ENDS[0],  # exactly after chatId
        ENDS[0] + 10,  # inside userMsgId
        ENDS[3] + 40,  # inside the second version of the first TextBlock
        ENDS[17] + 500,  # inside the final OntologyBlock (1 KB)
        ENDS[-2] + 5,  # inside the done event
        ENDS[-1] - 1,  # one byte short of the end
    }
)


def _arrived_events(byte_cut: int) -> int:
    """How many whole events arrive before a cut at ``byte_cut`` body bytes."""
    return sum(1 for end in ENDS if end <= byte_cut)


async def _ask(fault: DropAfter, *, recover: bool) -> tuple[FakeTextQL, object, list[ScriptEvent]]:
    async with FakeTextQL() as fake:
        fake.inject(fault)
        async with client(fake) as c:
            try:
                outcome: object = await c.ana.ask(QUESTION, recover=recover)
            except Exception as exc:  # the caller inspects it
                outcome = exc
        script = default_script(fake.chats[0])
    assert ana_requests(fake) == 1  # never asked twice
    return fake, outcome, script


def _check_recovered(outcome: object, script: list[ScriptEvent], arrived: int) -> None:
    if arrived == 0:  # chatId never arrived: nothing to recover from, a typed error
        assert isinstance(outcome, (StreamError, APIConnectionError)), outcome
        assert not isinstance(outcome, aiohttp.ClientError)
        return
    assert not isinstance(outcome, BaseException), repr(outcome)
    assert outcome.blocks == final_answer(script)  # type: ignore[attr-defined]
    assert outcome.recovered is (arrived < N_EVENTS)  # type: ignore[attr-defined]


def _check_partial(outcome: object, script: list[ScriptEvent], arrived: int) -> None:
    if arrived == N_EVENTS:  # everything, done included, arrived before the reset
        assert not isinstance(outcome, BaseException), repr(outcome)
        assert outcome.blocks == final_answer(script)  # type: ignore[attr-defined]
        return
    assert isinstance(outcome, StreamError), repr(outcome)
    snapshot = outcome.snapshot
    assert snapshot is not None
    assert snapshot.blocks == final_answer(script[:arrived])
    sent = versions(script)
    for block in snapshot.blocks:
        assert block in sent[block.id]  # type: ignore[union-attr]
    final_ids = [b.id for b in final_answer(script)]  # type: ignore[union-attr]
    assert [b.id for b in snapshot.blocks] == final_ids[: len(snapshot.blocks)]  # type: ignore[union-attr]
    assert snapshot.chat_id == (script[0][1] if arrived >= 1 else None)  # type: ignore[index]
    assert not snapshot.done


def test_the_matrix_covers_the_whole_default_answer() -> None:
    assert N_EVENTS >= 30
    assert _SAMPLE[0][0] == "chatId" and _SAMPLE[-1] == ("message", "done")  # type: ignore[index]


@pytest.mark.parametrize("k", CUTS)
async def test_drop_at_event_boundary_recovers(k: int) -> None:
    _, outcome, script = await _ask(DropAfter(events=k), recover=True)
    _check_recovered(outcome, script, k)


@pytest.mark.parametrize("k", CUTS)
async def test_drop_at_event_boundary_without_recovery_keeps_the_snapshot(k: int) -> None:
    _, outcome, script = await _ask(DropAfter(events=k), recover=False)
    _check_partial(outcome, script, k)


@pytest.mark.parametrize("n", BYTE_CUTS)
async def test_drop_inside_an_event_recovers(n: int) -> None:
    _, outcome, script = await _ask(DropAfter(bytes=n), recover=True)
    _check_recovered(outcome, script, _arrived_events(n))


@pytest.mark.parametrize("n", BYTE_CUTS)
async def test_drop_inside_an_event_without_recovery_keeps_the_snapshot(n: int) -> None:
    _, outcome, script = await _ask(DropAfter(bytes=n), recover=False)
    _check_partial(outcome, script, _arrived_events(n))
