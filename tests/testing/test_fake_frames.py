"""SSE frame builders, the docs example stream and the lenient raw-event parser."""

from __future__ import annotations

import json

import msgspec
import pytest

from textql_async.testing import (
    DOCS_EXAMPLE_STREAM,
    ana_event,
    block_event,
    docs_example_events,
    parse_raw_events,
    render_script,
    sse_comment,
    sse_frame,
)


def test_ana_event_json_encodes_payload() -> None:
    assert ana_event("message", "done") == b'event: message\ndata: "done"\n\n'
    assert ana_event("userMsgId", 33893) == b"event: userMsgId\ndata: 33893\n\n"


def test_sse_frame_splits_multiline_data_and_adds_fields() -> None:
    frame = sse_frame("x", "a\nb\r\nc", id="7", retry=1500)
    assert frame == b"event: x\nid: 7\nretry: 1500\ndata: a\ndata: b\ndata: c\n\n"
    assert sse_frame(None, "") == b"data:\n\n"
    with pytest.raises(ValueError):
        sse_frame("bad\nname", "x")


def test_block_event_accepts_dicts_and_structs() -> None:
    class TextBlock(msgspec.Struct, tag_field="tag", tag="TextBlock"):
        contents: str
        id: str

    from_struct = block_event(TextBlock("hi", "b1"))
    from_dict = block_event({"tag": "TextBlock", "contents": "hi", "id": "b1"})
    assert from_struct == from_dict
    assert from_dict.startswith(b"event: block\ndata: {")


def test_sse_comment() -> None:
    assert sse_comment() == b": keep-alive\n\n"


def test_docs_example_stream_is_verbatim() -> None:
    assert DOCS_EXAMPLE_STREAM.startswith(
        b'event: chatId\ndata: "nahar-alpha-cd66081b89c5cd9b0c"\n\n'
    )
    assert DOCS_EXAMPLE_STREAM.endswith(b'event: message\ndata: "done"\n\n')
    assert b"\nevent: block \n" in DOCS_EXAMPLE_STREAM  # the docs' trailing space is kept
    frames = DOCS_EXAMPLE_STREAM.split(b"\n\n")
    assert frames[-1] == b"" and len(frames) == 9
    for frame in frames[:-1]:
        event_line, data_line = frame.split(b"\n")
        assert event_line.startswith(b"event: ")
        assert data_line.startswith(b"data: ")
        json.loads(data_line[len(b"data: ") :])  # every data line is a JSON document
    assert DOCS_EXAMPLE_STREAM.count(b'"id":"def456"') == 2


def test_docs_example_events_decoded() -> None:
    events = docs_example_events()
    assert [name for name, _ in events] == [
        "chatId",
        "userMsgId",
        "assistantMsgId",
        "block",
        "block",
        "block",
        "block",
        "message",
    ]
    assert events[1] == ("userMsgId", 33893)
    last_python = events[6][1]
    assert isinstance(last_python, dict)
    assert last_python["results"][0]["tag"] == "TextResult"
    assert 'print(f"The largest store' in last_python["contents"]


def test_render_and_parse_roundtrip() -> None:
    script: list[tuple[str, object] | bytes] = [("chatId", "c1"), b": comment\n\n", ("x", [1])]
    raw = render_script(script)
    assert raw == b'event: chatId\ndata: "c1"\n\n: comment\n\nevent: x\ndata: [1]\n\n'
    assert parse_raw_events(raw) == [("chatId", "c1"), ("x", [1])]
    assert parse_raw_events(DOCS_EXAMPLE_STREAM) == docs_example_events()
    assert parse_raw_events(b"event: block\ndata: {not json\n\n") == []
