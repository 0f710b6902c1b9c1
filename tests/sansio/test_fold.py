"""Spec-driven tests for the sans-IO fold of Ana's event stream into a snapshot.

The docs: "Your application is responsible for replacing any prior blocks with
the same id with the latest streamed version of that block."
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from _cores import both_cores  # noqa: F401  (every test here runs on both cores)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from textql_async._exceptions import StreamError
from textql_async.models.ana import (
    ErrorBlock,
    PythonBlock,
    TextBlock,
    TextResult,
    UnknownBlock,
)
from textql_async.sansio.fold import AnaFold, BlockUpdate, Snapshot
from textql_async.sansio.sse import SSEDecoder
from textql_async.testing import DOCS_EXAMPLE_STREAM

SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# (event, data) pairs of the docs' example response, as the SSE decoder hands them over.
DOCS_EXAMPLE_EVENTS = [(e.event, e.data) for e in SSEDecoder().feed(DOCS_EXAMPLE_STREAM)]

FINAL_PYTHON_CODE = (
    "import pandas as pd\n\ndf = pd.read_csv('stores.csv') \nprint(df)\n\n"
    "largest_store = df.sort_values('sq_footage', ascending=False).head(1)\n"
    "print(f\"The largest store is in {largest_store['city'].values[0]}\")"
)
FINAL_PYTHON_OUTPUT = (
    "  store_id        city  sq_footage\n"
    "0   ST1234    New York      150000\n"
    "1   ST5678  Los Angeles      145000\n"
    "2   ST3456     Chicago      135000\n"
    "The largest store is located in New York."
)


def text(block_id: str, contents: str) -> str:
    return json.dumps({"tag": "TextBlock", "contents": contents, "id": block_id})


def error(contents: str) -> str:
    return json.dumps({"tag": "ErrorBlock", "contents": contents})


def fold_all(events: list[tuple[str, str]]) -> tuple[AnaFold, list[BlockUpdate | None]]:
    fold = AnaFold()
    return fold, [fold.feed(name, data) for name, data in events]


# ---------------------------------------------------------------------------
# the docs' example


def test_docs_example_final_snapshot() -> None:
    fold, _ = fold_all(DOCS_EXAMPLE_EVENTS)
    snap = fold.snapshot
    assert isinstance(snap, Snapshot)
    assert snap.chat_id == "nahar-alpha-cd66081b89c5cd9b0c"
    assert snap.user_msg_id == 33893
    assert snap.assistant_msg_id == 33894
    assert snap.done is True
    assert len(snap.blocks) == 2

    first, second = snap.blocks
    assert isinstance(first, TextBlock)
    assert first.id == "abc123"
    assert first.contents == "The largest store is located in New York."
    assert first.contents.endswith("New York.")

    assert isinstance(second, PythonBlock)
    assert second.id == "def456"
    assert second.contents == FINAL_PYTHON_CODE
    assert second.results is not None
    assert len(second.results) == 1
    assert isinstance(second.results[0], TextResult)
    assert second.results[0].contents == FINAL_PYTHON_OUTPUT


def test_docs_example_updates() -> None:
    _, updates = fold_all(DOCS_EXAMPLE_EVENTS)
    assert updates[:3] == [None, None, None]
    assert updates[7] is None
    block_updates = updates[3:7]
    assert all(isinstance(u, BlockUpdate) for u in block_updates)
    summary = [(u.index, u.is_new, u.block.id) for u in block_updates if u is not None]
    assert summary == [
        (0, True, "abc123"),
        (0, False, "abc123"),
        (1, True, "def456"),
        (1, False, "def456"),
    ]


def test_docs_example_update_carries_decoded_block() -> None:
    _, updates = fold_all(DOCS_EXAMPLE_EVENTS)
    update = updates[3]
    assert update is not None
    assert update.block == TextBlock(id="abc123", contents="The largest store is located in")
    python_v1 = updates[5]
    assert python_v1 is not None
    assert isinstance(python_v1.block, PythonBlock)
    assert python_v1.block.results is None


def test_docs_example_done_only_after_message_done() -> None:
    fold = AnaFold()
    for name, data in DOCS_EXAMPLE_EVENTS[:-1]:
        fold.feed(name, data)
        assert fold.snapshot.done is False
    fold.feed(*DOCS_EXAMPLE_EVENTS[-1])
    assert fold.snapshot.done is True


def test_docs_example_as_bytes() -> None:
    fold = AnaFold()
    for name, data in DOCS_EXAMPLE_EVENTS:
        fold.feed(name, data.encode())
    expected, _ = fold_all(DOCS_EXAMPLE_EVENTS)
    assert fold.snapshot == expected.snapshot
    assert fold.snapshot.chat_id == "nahar-alpha-cd66081b89c5cd9b0c"


def test_docs_error_block_example() -> None:
    fold = AnaFold()
    update = fold.feed(
        "block", '{"tag":"ErrorBlock","contents":"An error occurred fetching the requested dataset."}'
    )
    assert update is not None
    assert update.is_new is True
    assert update.index == 0
    assert isinstance(update.block, ErrorBlock)
    assert update.block.id is None
    assert update.block.contents == "An error occurred fetching the requested dataset."
    assert fold.snapshot.blocks == (update.block,)


# ---------------------------------------------------------------------------
# initial state and metadata events


def test_empty_fold_snapshot() -> None:
    snap = AnaFold().snapshot
    assert snap.blocks == ()
    assert snap.chat_id is None
    assert snap.user_msg_id is None
    assert snap.assistant_msg_id is None
    assert snap.done is False


def test_metadata_events_return_none_and_set_snapshot() -> None:
    fold = AnaFold()
    assert fold.feed("chatId", '"chat-1"') is None
    assert fold.feed("userMsgId", "7") is None
    assert fold.feed("assistantMsgId", "8") is None
    snap = fold.snapshot
    assert (snap.chat_id, snap.user_msg_id, snap.assistant_msg_id) == ("chat-1", 7, 8)
    assert snap.blocks == ()
    assert snap.done is False


def test_snapshot_blocks_is_tuple() -> None:
    fold, _ = fold_all(DOCS_EXAMPLE_EVENTS)
    assert isinstance(fold.snapshot.blocks, tuple)


def test_earlier_snapshot_not_mutated_by_later_events() -> None:
    fold = AnaFold()
    fold.feed("block", text("a", "one"))
    before = fold.snapshot
    fold.feed("block", text("a", "one two"))
    fold.feed("block", text("b", "new"))
    fold.feed("message", '"done"')
    assert before.blocks == (TextBlock(id="a", contents="one"),)
    assert before.done is False
    assert len(fold.snapshot.blocks) == 2


# ---------------------------------------------------------------------------
# replace-by-id


def test_new_id_appends() -> None:
    fold = AnaFold()
    updates = [fold.feed("block", text(i, i * 2)) for i in ("a", "b", "c")]
    assert [(u.index, u.is_new) for u in updates if u is not None] == [
        (0, True),
        (1, True),
        (2, True),
    ]
    assert [b.id for b in fold.snapshot.blocks] == ["a", "b", "c"]


def test_same_id_replaces_in_place() -> None:
    fold = AnaFold()
    fold.feed("block", text("a", "x"))
    fold.feed("block", text("b", "y"))
    update = fold.feed("block", text("b", "y and more"))
    assert update is not None
    assert (update.index, update.is_new) == (1, False)
    assert update.block == TextBlock(id="b", contents="y and more")
    assert fold.snapshot.blocks == (
        TextBlock(id="a", contents="x"),
        TextBlock(id="b", contents="y and more"),
    )


def test_old_id_reappearing_replaces_original_slot() -> None:
    fold = AnaFold()
    fold.feed("block", text("a", "1"))
    fold.feed("block", text("b", "2"))
    fold.feed("block", text("c", "3"))
    update = fold.feed("block", text("a", "1 revised"))
    assert update is not None
    assert (update.index, update.is_new) == (0, False)
    assert [(b.id, b.contents) for b in fold.snapshot.blocks] == [
        ("a", "1 revised"),
        ("b", "2"),
        ("c", "3"),
    ]


def test_replacement_may_change_block_type() -> None:
    fold = AnaFold()
    fold.feed("block", text("a", "draft"))
    update = fold.feed("block", '{"tag":"PythonBlock","contents":"print(1)","id":"a"}')
    assert update is not None
    assert (update.index, update.is_new) == (0, False)
    assert len(fold.snapshot.blocks) == 1
    assert isinstance(fold.snapshot.blocks[0], PythonBlock)


def test_block_without_id_gets_own_slot_each_time() -> None:
    fold = AnaFold()
    fold.feed("block", text("a", "x"))
    first = fold.feed("block", error("boom"))
    second = fold.feed("block", error("boom"))
    fold.feed("block", text("a", "x2"))
    assert first is not None and second is not None
    assert (first.index, first.is_new) == (1, True)
    assert (second.index, second.is_new) == (2, True)
    assert fold.snapshot.blocks == (
        TextBlock(id="a", contents="x2"),
        ErrorBlock(contents="boom"),
        ErrorBlock(contents="boom"),
    )


def test_unknown_block_with_id_replaced_by_id() -> None:
    fold = AnaFold()
    fold.feed("block", '{"tag":"ChartBlock","id":"c","spec":1}')
    update = fold.feed("block", '{"tag":"ChartBlock","id":"c","spec":2}')
    assert update is not None
    assert (update.index, update.is_new) == (0, False)
    assert len(fold.snapshot.blocks) == 1
    block = fold.snapshot.blocks[0]
    assert isinstance(block, UnknownBlock)
    assert block.raw["spec"] == 2


# ---------------------------------------------------------------------------
# unknown and odd input


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("ping", "{}"),
        ("heartbeat", "not json at all {"),
        ("Block", text("a", "x")),  # event names are case-sensitive
        ("", "1"),
        ("progress", '{"tag":"TextBlock","contents":"x","id":"z"}'),
    ],
)
def test_unknown_event_names_ignored(name: str, data: str) -> None:
    fold = AnaFold()
    fold.feed("block", text("keep", "me"))
    before = fold.snapshot
    assert fold.feed(name, data) is None
    assert fold.snapshot == before


def test_unknown_block_tag_becomes_unknown_block() -> None:
    fold = AnaFold()
    payload = {"tag": "ChartBlock", "id": "chart-1", "spec": {"kind": "bar"}, "n": [1, 2]}
    update = fold.feed("block", json.dumps(payload))
    assert update is not None
    block = update.block
    assert isinstance(block, UnknownBlock)
    assert block.tag == "ChartBlock"
    assert block.id == "chart-1"
    assert isinstance(block.raw, dict)
    assert block.raw["spec"] == {"kind": "bar"}
    assert block.raw["n"] == [1, 2]
    assert fold.snapshot.blocks == (block,)


def test_extra_fields_in_known_block_ignored() -> None:
    fold = AnaFold()
    payload = {
        "tag": "TextBlock",
        "contents": "hello",
        "id": "t",
        "newField": 1,
        "nested": {"deep": [None, True]},
    }
    update = fold.feed("block", json.dumps(payload))
    assert update is not None
    assert update.block == TextBlock(id="t", contents="hello")


@pytest.mark.parametrize(
    "payload",
    [
        '{"tag":"TextBlock","contents":"x","id":"a"',
        "{not json}",
        "",
        '{"tag":"TextBlock","contents":"x","id":"a"} trailing',
    ],
)
def test_malformed_block_json_raises_stream_error_with_raw_and_snapshot(payload: str) -> None:
    fold = AnaFold()
    fold.feed("chatId", '"chat-9"')
    fold.feed("block", text("a", "kept"))
    with pytest.raises(StreamError) as info:
        fold.feed("block", payload)
    err = info.value
    assert err.raw == payload
    assert err.snapshot is not None
    assert err.snapshot.blocks == (TextBlock(id="a", contents="kept"),)
    assert err.snapshot.chat_id == "chat-9"


def test_malformed_block_bytes_raw_is_kept() -> None:
    fold = AnaFold()
    with pytest.raises(StreamError) as info:
        fold.feed("block", b"{oops")
    assert info.value.raw in ("{oops", b"{oops")
    assert info.value.snapshot is not None
    assert info.value.snapshot.blocks == ()


@pytest.mark.parametrize("payload", ["[1,2]", '"x"', "42", "null", "true", "[]"])
def test_block_not_a_json_object_raises_stream_error(payload: str) -> None:
    fold = AnaFold()
    with pytest.raises(StreamError) as info:
        fold.feed("block", payload)
    assert info.value.raw == payload
    assert fold.snapshot.blocks == ()


@pytest.mark.parametrize("payload", ["123", '{"id":"x"}', "nahar-alpha", "null", "[]", ""])
def test_chat_id_not_a_json_string_raises_stream_error(payload: str) -> None:
    fold = AnaFold()
    with pytest.raises(StreamError) as info:
        fold.feed("chatId", payload)
    assert info.value.raw == payload
    assert fold.snapshot.chat_id is None


def test_stream_error_is_textql_error_not_json_error() -> None:
    fold = AnaFold()
    with pytest.raises(StreamError) as info:
        fold.feed("block", "{")
    assert type(info.value).__module__ == "textql_async._exceptions"


# ---------------------------------------------------------------------------
# property: interleavings


@st.composite
def interleavings(draw: st.DrawFn) -> tuple[list[tuple[str, str]], list[str]]:
    """Versions of N block ids interleaved, each id's versions kept in order.

    Returns the interleaved block payloads and the expected final payload per id,
    in order of first appearance.
    """
    n = draw(st.integers(1, 6))
    ids = [f"id-{i}" for i in range(n)]
    versions: dict[str, list[str]] = {}
    for block_id in ids:
        tag = draw(st.sampled_from(["TextBlock", "PythonBlock", "ChartBlock"]))
        contents = draw(st.lists(st.text(max_size=6), min_size=1, max_size=4))
        versions[block_id] = [
            json.dumps({"tag": tag, "contents": c, "id": block_id}) for c in contents
        ]
    queues = {k: list(v) for k, v in versions.items()}
    events: list[tuple[str, str]] = []
    while queues:
        block_id = draw(st.sampled_from(sorted(queues)))
        events.append(("block", queues[block_id].pop(0)))
        if not queues[block_id]:
            del queues[block_id]
    first_seen: list[str] = []
    for _, payload in events:
        block_id = json.loads(payload)["id"]
        if block_id not in first_seen:
            first_seen.append(block_id)
    finals = [versions[block_id][-1] for block_id in first_seen]
    return events, finals


@SETTINGS
@given(interleavings())
def test_any_interleaving_folds_to_final_versions(
    generated: tuple[list[tuple[str, str]], list[str]],
) -> None:
    events, finals = generated
    fold, updates = fold_all(events)
    reference, _ = fold_all([("block", payload) for payload in finals])
    assert fold.snapshot.blocks == reference.snapshot.blocks
    assert [b.id for b in fold.snapshot.blocks] == [json.loads(p)["id"] for p in finals]
    # is_new exactly once per id; every update's index is that id's slot.
    slots = {b.id: i for i, b in enumerate(fold.snapshot.blocks)}
    assert sum(1 for u in updates if u is not None and u.is_new) == len(finals)
    for update in updates:
        assert update is not None
        assert update.index == slots[update.block.id]


def _ids(blocks: tuple[Any, ...]) -> list[str | None]:
    return [b.id for b in blocks]


def test_interleaving_example() -> None:
    fold, _ = fold_all(
        [
            ("block", text("a", "1")),
            ("block", text("b", "1")),
            ("block", text("a", "12")),
            ("block", text("c", "1")),
            ("block", text("b", "12")),
            ("block", text("a", "123")),
        ]
    )
    assert _ids(fold.snapshot.blocks) == ["a", "b", "c"]
    assert [b.contents for b in fold.snapshot.blocks] == ["123", "12", "1"]


def test_a_block_sent_as_an_unnamed_event_is_not_lost() -> None:
    fold = AnaFold()
    update = fold.feed("message", '{"tag": "TextBlock", "id": "m1", "contents": "hi"}')
    assert update is not None and update.is_new
    assert fold.snapshot.blocks == (TextBlock("m1", "hi"),)
    assert fold.feed("message", '"done"') is None
    assert fold.done
