"""The completion rule (sans-IO): only an answer that meets it is ever called complete."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from textql_async import (
    DEFAULT_RECOVER_STABLE_FOR,
    Author,
    Block,
    ChatMessage,
    CompletionDecision,
    ErrorBlock,
    OntologyBlock,
    OntologyContents,
    OntologyResult,
    PythonBlock,
    Snapshot,
    TextBlock,
    TextResult,
    decide_completion,
)
from textql_async.sansio.completion import find_answer, merge_snapshot, unfinished_work
from textql_async.sansio.slots import OrderedSlots

USER = Author("User", "Fake User", "member")
ANA = Author("Assistant")


def chat(body: Sequence[Block] | None, *, later: bool = False) -> list[ChatMessage]:
    """The chat history: the question, the assistant message (unless ``None``), a later one."""
    question = ChatMessage(11, USER, "c", None, [TextBlock("q0", "Which region leads?")], 0)
    messages = [question]
    if body is not None:
        messages.append(ChatMessage(12, ANA, "c", None, list(body), 1))
    if later:
        messages.append(ChatMessage(13, USER, "c", None, [TextBlock("q1", "Thanks")], 2))
    return messages


STREAM = Snapshot(chat_id="c", user_msg_id=11, assistant_msg_id=12)
TEXT = TextBlock("t1", "Let me compute that.")
RUNNING = PythonBlock("p1", "sales.groupby('region')")
RAN = PythonBlock("p1", "sales.groupby('region')", [TextResult("East 10")])
ANSWER = TextBlock("t2", "East leads with 10.")


def fold(
    decisions: Sequence[tuple[float, list[ChatMessage]]],
    snapshot: Snapshot = STREAM,
    stable_for: float = 1.0,
) -> CompletionDecision:
    decision: CompletionDecision | None = None
    for now, messages in decisions:
        decision = decide_completion(
            snapshot, messages, now, stable_for=stable_for, previous=decision
        )
        if decision.complete:
            return decision
    assert decision is not None
    return decision


def test_the_issue_case_two_equal_partial_reads_are_not_complete() -> None:
    partial = chat([TEXT, RUNNING])
    decision = fold([(0.0, partial), (0.1, partial), (60.0, partial)])
    assert not decision.complete
    assert "PythonBlock 'p1' has no results" in decision.reason
    assert decision.snapshot.blocks == (TEXT, RUNNING)


def test_the_complete_answer_needs_the_stability_window() -> None:
    done = chat([TEXT, RAN, ANSWER])
    assert not fold([(0.0, done), (0.5, done)]).complete
    decision = fold([(0.0, done), (0.5, done), (1.0, done)])
    assert decision.complete and decision.reason.startswith("unchanged for 1")
    result = decision.result()
    assert result.recovered and result.blocks == (TEXT, RAN, ANSWER)
    assert result.answer == "East leads with 10."
    assert (result.chat_id, result.user_msg_id, result.assistant_msg_id) == ("c", 11, 12)


def test_a_changed_body_restarts_the_window() -> None:
    growing = [TEXT, RAN, TextBlock("t2", "East")]
    done = [TEXT, RAN, ANSWER]
    decision = fold([(0.0, chat(growing)), (0.9, chat(done)), (1.5, chat(done))])
    assert not decision.complete and decision.stable_since == 0.9
    assert fold([(0.0, chat(growing)), (0.9, chat(done)), (2.0, chat(done))]).complete


def test_a_slow_read_does_not_stretch_the_window() -> None:
    done = chat([TEXT, RAN, ANSWER])
    first = decide_completion(STREAM, done, 0.0, sent_at=-0.5, stable_for=1.0)
    # sent 0.4 s after the first answer arrived, answered 1.2 s after: 0.4 s proven, not 1.2
    slow = decide_completion(STREAM, done, 1.2, sent_at=0.4, stable_for=1.0, previous=first)
    assert not slow.complete and slow.stable_since == 0.0
    on_time = decide_completion(STREAM, done, 1.1, sent_at=1.0, stable_for=1.0, previous=slow)
    assert on_time.complete


def test_the_default_window_is_thirty_seconds() -> None:
    assert DEFAULT_RECOVER_STABLE_FOR == 30.0
    done = chat([TEXT, RAN, ANSWER])
    first = decide_completion(STREAM, done, 0.0)
    assert not decide_completion(STREAM, done, 29.9, previous=first).complete
    assert decide_completion(STREAM, done, 30.0, previous=first).complete


def test_a_later_message_proves_the_end_even_of_a_strange_answer() -> None:
    decision = decide_completion(STREAM, chat([TEXT, RUNNING], later=True), 0.0)
    assert decision.complete and decision.reason == "a later message in the chat"
    assert decision.result().blocks == (TEXT, RUNNING)


@pytest.mark.parametrize(
    ("streamed", "body", "why"),
    [
        ((TEXT, RAN), None, "no assistant message"),
        ((TEXT, RAN), [], "still empty"),
        ((TEXT, RAN), [TEXT], "1 blocks, the stream had 2"),
        ((TEXT, RAN), [TEXT, ANSWER], "block 'p1' is missing"),
        ((TEXT, RAN, ANSWER), [TEXT, RUNNING, ANSWER], "block 'p1' is shorter"),
        ((TEXT, ANSWER), [TextBlock("t1", "Let"), ANSWER], "block 't1' is shorter"),
    ],
)
def test_a_history_behind_the_stream_is_never_complete(
    streamed: tuple[Block, ...], body: list[Block] | None, why: str
) -> None:
    snapshot = Snapshot(streamed, "c", 11, 12)
    # not even with a later message: that history copy is older than what was streamed
    for later in (False, True):
        messages = chat(body, later=later) if body is not None else chat(None)
        decision = fold([(0.0, messages), (100.0, messages)], snapshot)
        assert not decision.complete
        assert why in decision.reason
        assert decision.snapshot.blocks[: len(streamed)] == streamed  # never less than streamed


def test_structural_signs_of_unfinished_work() -> None:
    pending = OntologyBlock("o1", OntologyContents("q", OntologyResult(complete=False)))
    finished = OntologyBlock("o1", OntologyContents("q", OntologyResult(complete=True)))
    assert unfinished_work([TEXT, RUNNING, ANSWER]) == "PythonBlock 'p1' has no results yet"
    assert unfinished_work([pending, ANSWER]) == "OntologyBlock 'o1' is not complete yet"
    assert (
        unfinished_work([TEXT, RAN])
        == "the last block is a PythonBlock, not a TextBlock or ErrorBlock"
    )
    assert unfinished_work([finished, ANSWER]) is None
    assert unfinished_work([TEXT, ErrorBlock("the warehouse is down")]) is None
    assert unfinished_work([TEXT, PythonBlock("p2", "x", []), ANSWER]) is None  # ran, no output


def test_a_done_stream_is_complete_without_history() -> None:
    snapshot = Snapshot((TEXT, ANSWER), "c", 11, 12, True)
    assert decide_completion(snapshot, [], 0.0).complete


def test_merge_keeps_every_streamed_block_and_adds_the_history_ones() -> None:
    streamed = Snapshot((TextBlock("t1", "Let me compute that. And more"), ErrorBlock("x")), "c")
    history = chat([TEXT, RUNNING])
    merged = merge_snapshot(streamed, history[1], history)
    assert merged.blocks == (streamed.blocks[0], streamed.blocks[1], RUNNING)
    assert (merged.user_msg_id, merged.assistant_msg_id, merged.done) == (11, 12, False)


def test_find_answer_by_id_then_by_question_then_first() -> None:
    messages = [*chat([TEXT]), ChatMessage(14, ANA, "c", None, [ANSWER], 3)]
    messages.insert(2, ChatMessage(13, USER, "c", None, [TextBlock("q1", "And West?")], 2))
    assert find_answer(messages, Snapshot(assistant_msg_id=14)) == (3, messages[3])
    assert find_answer(messages, Snapshot(user_msg_id=13)) == (3, messages[3])
    assert find_answer(messages, Snapshot()) == (1, messages[1])
    assert find_answer(chat(None), Snapshot()) is None


# --- the property: "complete" only for a body that meets the rule -----------------------


def _versions() -> st.SearchStrategy[list[Block]]:
    """How Ana produces one answer: every version of every block, in order."""

    def build(plan: list[tuple[str, int]], final_kind: str) -> list[Block]:
        out: list[Block] = []
        for n, (kind, steps) in enumerate(plan):
            bid = f"b{n}"
            for step in range(1, steps + 1):
                if kind == "text":
                    out.append(TextBlock(bid, "w" * step))
                elif kind == "python":
                    out.append(PythonBlock(bid, "c" * step))
                else:
                    out.append(OntologyBlock(bid, OntologyContents("q", OntologyResult(False))))
            if kind == "python":
                out.append(PythonBlock(bid, "c" * steps, [TextResult("ok")]))
            elif kind == "ontology":
                out.append(OntologyBlock(bid, OntologyContents("q", OntologyResult(True))))
        last = len(plan)
        out.append(TextBlock(f"b{last}", "answer") if final_kind == "text" else ErrorBlock("boom"))
        return out

    kinds = st.sampled_from(["text", "python", "ontology"])
    plan = st.lists(st.tuples(kinds, st.integers(1, 3)), min_size=0, max_size=4)
    return st.builds(build, plan, st.sampled_from(["text", "error"]))


def _fold(versions: Sequence[Block]) -> list[Block]:
    slots: OrderedSlots[Block] = OrderedSlots()
    for block in versions:
        slots.put(block.id, block)
    return list(slots.items)


@st.composite
def _scenario(
    draw: st.DrawFn,
) -> tuple[list[Block], int, list[tuple[float, float, int | None, bool]]]:
    versions = draw(_versions())
    streamed = draw(st.integers(0, len(versions)))
    reads = draw(
        st.lists(
            st.tuples(
                st.floats(0.0, 2.0, allow_nan=False),  # time since the previous read
                st.floats(0.0, 1.0, allow_nan=False),  # how long the read took
                st.one_of(st.none(), st.integers(0, len(versions))),  # history progress
                st.booleans() if draw(st.booleans()) else st.just(False),  # later message
            ),
            min_size=1,
            max_size=25,
        )
    )
    return versions, streamed, reads


@settings(max_examples=400, deadline=None)
@given(_scenario(), st.sampled_from([0.0, 0.5, 1.0, 3.0]))
def test_property_complete_only_when_the_rule_is_met(
    scenario: tuple[list[Block], int, list[tuple[float, float, int | None, bool]]],
    stable_for: float,
) -> None:
    versions, streamed_count, reads = scenario
    streamed = tuple(_fold(versions[:streamed_count]))
    snapshot = Snapshot(streamed, "c", 11, 12)
    decision: CompletionDecision | None = None
    now = 0.0
    seen: list[tuple[float, tuple[Block, ...] | None]] = []  # the oracle's own record
    for gap, latency, progress, later in reads:
        sent = now + gap
        now = sent + latency  # the server answered somewhere in [sent, now]
        body = None if progress is None else tuple(_fold(versions[:progress]))
        seen.append((now, body))
        messages = chat(body, later=later) if body is not None else chat(None)
        decision = decide_completion(
            snapshot, messages, now, sent_at=sent, stable_for=stable_for, previous=decision
        )
        # the merged snapshot never loses a streamed block version
        kept = {b.id: b for b in decision.snapshot.blocks}
        assert all(kept.get(b.id) == b or _longer(kept.get(b.id), b) for b in streamed)
        if not decision.complete:
            continue
        assert body is not None and body  # complete needs an assistant message with blocks
        assert _covers_all(body, streamed)  # never behind the stream
        assert decision.result().blocks == body and decision.result().recovered
        if later:
            break
        assert unfinished_work(body) is None
        assert not any(isinstance(b, PythonBlock) and b.results is None for b in body)
        assert isinstance(body[-1], (TextBlock, ErrorBlock))
        # unchanged for stable_for by the oracle's own count: from the arrival of the first
        # read of the run of equal bodies to the sending of this one (server-side for sure)
        since = now
        for when, earlier in reversed(seen):
            if earlier != body:
                break
            since = when
        assert stable_for == 0 or sent - since >= stable_for
        break
    # liveness: the finished answer read for long enough, unchanged, is complete
    final = tuple(_fold(versions))
    messages = chat(final)
    decision = decide_completion(
        snapshot, messages, now + 10, stable_for=stable_for, previous=decision
    )
    decision = decide_completion(
        snapshot, messages, now + 10 + stable_for + 1e-6, stable_for=stable_for, previous=decision
    )
    assert decision.complete and decision.result().blocks == final


def _covers_all(body: Sequence[Block], streamed: Sequence[Block]) -> bool:
    by_id = {b.id: b for b in body}
    return all(by_id.get(b.id) == b or _longer(by_id.get(b.id), b) for b in streamed)


def _longer(newer: Block | None, older: Block) -> bool:
    """A later version in the scenario's own terms: more text/code, results, completeness."""
    if newer is None or type(newer) is not type(older):
        return False
    if isinstance(newer, PythonBlock) and isinstance(older, PythonBlock):
        return len(newer.contents) >= len(older.contents) and (
            older.results is None or newer.results is not None
        )
    if isinstance(newer, OntologyBlock) and isinstance(older, OntologyBlock):
        assert newer.contents is not None and older.contents is not None
        assert newer.contents.result is not None and older.contents.result is not None
        return bool(newer.contents.result.complete) >= bool(older.contents.result.complete)
    if isinstance(newer, (TextBlock, ErrorBlock)) and isinstance(older, (TextBlock, ErrorBlock)):
        return len(newer.contents) >= len(older.contents)
    return False
