"""A drop at every event boundary of the default answer, and at byte offsets inside events.

The fake behaves like the service after a cut: for ``WORKING`` seconds the chat history holds
the partial answer (``history="live"``: what was streamed; ``"lagging"``: less than that), then
the finished one. With ``recover=True`` every cut after ``chatId`` yields the complete answer,
never one of those partial bodies (0 partial answers returned as complete); with
``recover=False`` every cut raises a ``StreamError`` whose snapshot is exactly the fold of
the events that arrived (each block a version the server really sent). A cut before
``chatId`` raises a typed error, and the question is never sent twice.
"""

from __future__ import annotations

import itertools

import aiohttp
import pytest
from _kit import ana_requests, client, default_script, event_bytes, final_answer, versions

from textql_async import APIConnectionError, Block, StreamError
from textql_async.models.ana import decode_chat_messages
from textql_async.testing import DropAfter, FakeTextQL, ScriptEvent, default_answer

QUESTION = "Which store is the largest?"
WORKING = 0.1
"""Seconds Ana keeps working after the cut (the history is partial meanwhile)."""
STABLE = 0.3
"""``recover_stable_for``: longer than Ana is silent here (``WORKING``), as the 30 s default is."""
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


async def _ask(
    fault: DropAfter, *, recover: bool, history: str = "live"
) -> tuple[FakeTextQL, object, list[ScriptEvent]]:
    async with FakeTextQL(answer_completes_after=WORKING, history=history) as fake:
        fake.inject(fault)
        async with client(fake) as c:
            try:
                outcome: object = await c.ana.ask(
                    QUESTION, recover=recover, recover_stable_for=STABLE
                )
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


def _history_bodies(fake: FakeTextQL) -> list[tuple[Block, ...] | None]:
    """The assistant body of every chat history response the fake sent (None: no message)."""
    bodies: list[tuple[Block, ...] | None] = []
    for response in fake.responses:
        if response.route != "/api/ana/{chat_id}" or response.status != 200:
            continue
        messages = decode_chat_messages(response.body)
        answer = [m for m in messages if m.is_assistant]
        bodies.append(tuple(answer[0].body) if answer else None)
    return bodies


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
    fake, outcome, script = await _ask(DropAfter(events=k), recover=True)
    _check_recovered(outcome, script, k)
    if 3 < k < N_EVENTS - 2:  # blocks arrived, the answer was not: the history was partial
        bodies = _history_bodies(fake)
        assert any(b != final_answer(script) for b in bodies), "no partial history was served"
        assert bodies[-1] == final_answer(script)


@pytest.mark.parametrize("k", CUTS)
async def test_drop_at_event_boundary_without_recovery_keeps_the_snapshot(k: int) -> None:
    _, outcome, script = await _ask(DropAfter(events=k), recover=False)
    _check_partial(outcome, script, k)


@pytest.mark.parametrize("history", ["live", "lagging"])
@pytest.mark.parametrize("n", BYTE_CUTS)
async def test_drop_inside_an_event_recovers(n: int, history: str) -> None:
    _, outcome, script = await _ask(DropAfter(bytes=n), recover=True, history=history)
    _check_recovered(outcome, script, _arrived_events(n))


@pytest.mark.parametrize("n", BYTE_CUTS)
async def test_drop_inside_an_event_without_recovery_keeps_the_snapshot(n: int) -> None:
    _, outcome, script = await _ask(DropAfter(bytes=n), recover=False)
    _check_partial(outcome, script, _arrived_events(n))
