"""Spec-driven tests for the sans-IO server-sent-events decoder.

The rules are the WHATWG "event stream interpretation" algorithm
(https://html.spec.whatwg.org/multipage/server-sent-events.html) plus the
project's tolerances, documented per test.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Sequence

import pytest
from _cores import both_cores  # noqa: F401  (every test here runs on both cores)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from textql_async._exceptions import EventTooLargeError, StreamError
from textql_async.sansio.sse import ServerSentEvent, SSEDecoder
from textql_async.testing import DOCS_EXAMPLE_STREAM

SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# DOCS_EXAMPLE_STREAM is the block under "Example response:" in the Ana API docs, byte
# for byte (note the trailing space in the second ``event: block `` line); its hash is
# checked below.
DOCS_EXAMPLE_SHA256 = "febc049fe438ac2eec319cfcd2b8abacad7bdd4c3ef8c8738a3b3292919af602"

DOCS_EXAMPLE_EVENTS = [
    ('chatId', '"nahar-alpha-cd66081b89c5cd9b0c"'),
    ('userMsgId', '33893'),
    ('assistantMsgId', '33894'),
    (
        'block',
        (
            '{"tag":"TextBlock","contents":"The largest store is located in","id":"'
            'abc123"}'
        ),
    ),
    (
        'block',
        (
            '{"tag":"TextBlock","contents":"The largest store is located in New Yor'
            'k.","id":"abc123"}'
        ),
    ),
    (
        'block',
        (
            '{"tag":"PythonBlock","contents":"import pandas as pd\\n\\ndf = pd.read_c'
            'sv(\'stores.csv\')\\nprint(df)","id":"def456"}'
        ),
    ),
    (
        'block',
        (
            '{"tag":"PythonBlock","contents":"import pandas as pd\\n\\ndf = pd.read_c'
            "sv('stores.csv') \\nprint(df)\\n\\nlargest_store = df.sort_values('sq_foo"
            'tage\', ascending=False).head(1)\\nprint(f\\"The largest store is in {lar'
            'gest_store[\'city\'].values[0]}\\")", "results":[{"tag":"TextResult","con'
            'tents":"  store_id        city  sq_footage\\n0   ST1234    New York    '
            '  150000\\n1   ST5678  Los Angeles      145000\\n2   ST3456     Chicago '
            '     135000\\nThe largest store is located in New York."}], "id":"def45'
            '6"}'
        ),
    ),
    ('message', '"done"'),
]


# ---------------------------------------------------------------------------
# helpers


def decode(chunks: Iterable[bytes], **kwargs: int) -> list[ServerSentEvent]:
    """Feed every chunk to a fresh decoder, then close it; return all events."""
    decoder = SSEDecoder(**kwargs)
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.close())
    return events


def decode_one(stream: bytes, **kwargs: int) -> list[ServerSentEvent]:
    return decode([stream], **kwargs)


def bytewise(stream: bytes) -> list[bytes]:
    return [stream[i : i + 1] for i in range(len(stream))]


def split_at(stream: bytes, offsets: Sequence[int]) -> list[bytes]:
    cuts = [0, *sorted(offsets), len(stream)]
    return [stream[a:b] for a, b in itertools.pairwise(cuts)]


def pairs(events: Iterable[ServerSentEvent]) -> list[tuple[str, str]]:
    return [(e.event, e.data) for e in events]


def norm_id(value: str | None) -> str:
    """An event that never saw an ``id`` line may report ``None`` or ``""``."""
    return value or ""


def all_ways(stream: bytes) -> list[list[ServerSentEvent]]:
    """The stream decoded in one chunk, byte by byte, and at every 2-way split."""
    results = [decode_one(stream), decode(bytewise(stream))]
    results.extend(decode([stream[:i], stream[i:]]) for i in range(len(stream) + 1))
    return results


def assert_all_ways(stream: bytes, expected: list[tuple[str, str]]) -> list[ServerSentEvent]:
    results = all_ways(stream)
    for events in results:
        assert pairs(events) == expected
        assert events == results[0]
    return results[0]


# ---------------------------------------------------------------------------
# ServerSentEvent


def test_server_sent_event_defaults() -> None:
    event = ServerSentEvent()
    assert (event.event, event.data, event.id, event.retry) == ("message", "", None, None)


def test_server_sent_event_positional_field_order() -> None:
    event = ServerSentEvent("block", "payload", "7", 1500)
    assert (event.event, event.data, event.id, event.retry) == ("block", "payload", "7", 1500)


def test_server_sent_event_is_frozen_and_compares_by_value() -> None:
    event = ServerSentEvent(event="a", data="b")
    assert event == ServerSentEvent(event="a", data="b")
    assert event != ServerSentEvent(event="a", data="c")
    with pytest.raises(AttributeError):
        event.data = "changed"  # type: ignore[misc]


# ---------------------------------------------------------------------------
# the docs' example stream


def test_docs_example_literal_is_byte_exact_copy() -> None:
    assert hashlib.sha256(DOCS_EXAMPLE_STREAM).hexdigest() == DOCS_EXAMPLE_SHA256
    assert b"event: block \n" in DOCS_EXAMPLE_STREAM


def test_docs_example_one_chunk() -> None:
    events = decode_one(DOCS_EXAMPLE_STREAM)
    assert pairs(events) == DOCS_EXAMPLE_EVENTS
    assert len(events) == 8
    assert all(e.retry is None and norm_id(e.id) == "" for e in events)


def test_docs_example_trailing_space_event_name_is_block() -> None:
    events = decode_one(DOCS_EXAMPLE_STREAM)
    assert events[4].event == "block"
    assert "New York." in events[4].data


def test_docs_example_every_two_chunk_split() -> None:
    expected = decode_one(DOCS_EXAMPLE_STREAM)
    for i in range(len(DOCS_EXAMPLE_STREAM) + 1):
        events = decode([DOCS_EXAMPLE_STREAM[:i], DOCS_EXAMPLE_STREAM[i:]])
        assert events == expected, f"split at byte {i}"
        assert pairs(events) == DOCS_EXAMPLE_EVENTS


def test_docs_example_one_byte_at_a_time() -> None:
    events = decode(bytewise(DOCS_EXAMPLE_STREAM))
    assert pairs(events) == DOCS_EXAMPLE_EVENTS


def test_docs_example_events_dispatched_as_soon_as_terminated() -> None:
    decoder = SSEDecoder()
    end_of_first = DOCS_EXAMPLE_STREAM.index(b"\n\n") + 2
    first = decoder.feed(DOCS_EXAMPLE_STREAM[:end_of_first])
    assert pairs(first) == DOCS_EXAMPLE_EVENTS[:1]
    rest = decoder.feed(DOCS_EXAMPLE_STREAM[end_of_first:])
    assert pairs(rest) == DOCS_EXAMPLE_EVENTS[1:]
    assert decoder.close() == []


@SETTINGS
@given(st.lists(st.integers(0, len(DOCS_EXAMPLE_STREAM)), max_size=40))
def test_docs_example_random_chunking(offsets: list[int]) -> None:
    events = decode(split_at(DOCS_EXAMPLE_STREAM, offsets))
    assert pairs(events) == DOCS_EXAMPLE_EVENTS


@pytest.mark.parametrize("ending", [b"\r\n", b"\r"], ids=["crlf", "cr"])
def test_docs_example_with_other_line_endings(ending: bytes) -> None:
    stream = DOCS_EXAMPLE_STREAM.replace(b"\n", ending)
    assert pairs(decode_one(stream)) == DOCS_EXAMPLE_EVENTS
    assert pairs(decode(bytewise(stream))) == DOCS_EXAMPLE_EVENTS


# ---------------------------------------------------------------------------
# WHATWG spec examples


def test_whatwg_stock_example() -> None:
    stream = b"data: YHOO\ndata: +2\ndata: 10\n\n"
    events = assert_all_ways(stream, [("message", "YHOO\n+2\n10")])
    assert events[0].retry is None


def test_whatwg_test_stream_example() -> None:
    stream = (
        b": test stream\n"
        b"\n"
        b"data: first event\n"
        b"id: 1\n"
        b"\n"
        b"data:second event\n"
        b"id\n"
        b"\n"
        b"data:  third event\n"
        b"\n"
    )
    events = assert_all_ways(
        stream,
        [("message", "first event"), ("message", "second event"), ("message", " third event")],
    )
    assert [e.id for e in events] == ["1", "", ""]


def test_whatwg_test_stream_example_without_final_blank_line() -> None:
    stream = (
        b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\n"
        b"data:  third event\n"
    )
    decoder = SSEDecoder()
    events = decoder.feed(stream)
    assert pairs(events) == [("message", "first event"), ("message", "second event")]
    assert decoder.close() == []


def test_whatwg_empty_data_example() -> None:
    stream = b"data\n\ndata\ndata\n\ndata:"
    assert_all_ways(stream, [("message", ""), ("message", "\n")])


def test_whatwg_data_test_example_space_is_optional() -> None:
    stream = b"data:test\n\ndata: test\n\n"
    assert_all_ways(stream, [("message", "test"), ("message", "test")])


# ---------------------------------------------------------------------------
# line endings


@pytest.mark.parametrize(
    "stream",
    [
        b"event: e\ndata: a\ndata: b\n\n",
        b"event: e\r\ndata: a\r\ndata: b\r\n\r\n",
        b"event: e\rdata: a\rdata: b\r\r",
        b"event: e\r\ndata: a\rdata: b\n\r\n",
        b"event: e\rdata: a\ndata: b\r\n\r",
    ],
    ids=["lf", "crlf", "cr", "mixed-1", "mixed-2"],
)
def test_line_endings(stream: bytes) -> None:
    assert_all_ways(stream, [("e", "a\nb")])


def test_crlf_split_across_chunks_is_one_line_ending() -> None:
    # CR ends chunk 1, LF starts chunk 2: one line ending, not a blank line.
    events = decode([b"data: a\r", b"\ndata: b\r\n\r\n"])
    assert pairs(events) == [("message", "a\nb")]


def test_crlf_split_across_chunks_in_terminating_blank_line() -> None:
    events = decode([b"data: a\r\n\r", b"\ndata: b\r\n\r\n"])
    assert pairs(events) == [("message", "a"), ("message", "b")]


def test_crlf_split_before_field_does_not_lose_field() -> None:
    events = decode([b"event: x\r", b"\ndata: y\r", b"\n", b"\r", b"\n"])
    assert pairs(events) == [("x", "y")]


def test_crlf_split_event_not_dispatched_twice() -> None:
    events = decode([b"data: once\r\n\r", b"\n", b"\r\n"])
    assert pairs(events) == [("message", "once")]


def test_cr_terminated_event_dispatched_without_waiting_for_next_chunk() -> None:
    # The second CR ends the blank line whatever comes next, so the event is due now.
    decoder = SSEDecoder()
    assert pairs(decoder.feed(b"data: now\r\r")) == [("message", "now")]
    assert decoder.feed(b"\n") == []
    assert decoder.close() == []


def test_lone_cr_followed_by_field_in_next_chunk() -> None:
    events = decode([b"data: a\r", b"data: b\r", b"\r"])
    assert pairs(events) == [("message", "a\nb")]


def test_lf_cr_lf_is_two_line_endings() -> None:
    # "\n" ends the data line, "\r\n" is the blank line: exactly one dispatch.
    assert_all_ways(b"data: a\n\r\ndata: b\n\n", [("message", "a"), ("message", "b")])


# ---------------------------------------------------------------------------
# fields


def test_only_one_leading_space_stripped() -> None:
    assert pairs(decode_one(b"data:  two spaces\n\n")) == [("message", " two spaces")]
    assert pairs(decode_one(b"data:\tx\n\n")) == [("message", "\tx")]


def test_no_space_after_colon() -> None:
    assert pairs(decode_one(b"event:e\ndata:x\n\n")) == [("e", "x")]


def test_trailing_whitespace_in_data_preserved() -> None:
    assert pairs(decode_one(b"data: x  \n\n")) == [("message", "x  ")]


def test_colon_in_value_kept() -> None:
    assert pairs(decode_one(b"data: a: b:c\n\n")) == [("message", "a: b:c")]


def test_multiple_data_lines_joined_with_newline() -> None:
    assert pairs(decode_one(b"data: 1\ndata: 2\ndata: 3\n\n")) == [("message", "1\n2\n3")]


def test_trailing_empty_data_line_gives_trailing_newline() -> None:
    assert pairs(decode_one(b"data: a\ndata:\n\n")) == [("message", "a\n")]


def test_leading_empty_data_line_gives_leading_newline() -> None:
    assert pairs(decode_one(b"data:\ndata: a\n\n")) == [("message", "\na")]


def test_comment_lines_ignored() -> None:
    stream = b": keep-alive\ndata: a\n:another\n: data: not data\ndata: b\n\n"
    assert_all_ways(stream, [("message", "a\nb")])


def test_comment_only_stream_dispatches_nothing() -> None:
    assert decode_one(b": ping\n\n: ping\n\n:\n\n") == []


def test_field_without_colon_is_whole_line_with_empty_value() -> None:
    assert pairs(decode_one(b"data\n\n")) == [("message", "")]
    assert pairs(decode_one(b"event\ndata: x\n\n")) == [("message", "x")]


def test_data_without_colon_appends_empty_line() -> None:
    assert pairs(decode_one(b"data: a\ndata\ndata: b\n\n")) == [("message", "a\n\nb")]


def test_unknown_fields_ignored() -> None:
    stream = b"foo: bar\nDATA: upper\nData: mixed\ndata: x\nbaz\n\n"
    assert pairs(decode_one(stream)) == [("message", "x")]


def test_field_names_case_sensitive() -> None:
    assert decode_one(b"Data: x\n\n") == []


def test_field_name_with_leading_space_is_unknown() -> None:
    assert decode_one(b" data: x\n\n") == []


def test_event_name_set() -> None:
    assert pairs(decode_one(b"event: block\ndata: {}\n\n")) == [("block", "{}")]


def test_event_name_last_wins() -> None:
    assert pairs(decode_one(b"event: a\nevent: b\ndata: x\n\n")) == [("b", "x")]


def test_event_name_does_not_leak_into_next_event() -> None:
    stream = b"event: block\ndata: 1\n\ndata: 2\n\n"
    assert pairs(decode_one(stream)) == [("block", "1"), ("message", "2")]


@pytest.mark.parametrize(
    "line", [b"event: block ", b"event: block   ", b"event: block\t", b"event:block "]
)
def test_event_name_trailing_whitespace_tolerated(line: bytes) -> None:
    assert pairs(decode_one(line + b"\ndata: x\n\n")) == [("block", "x")]


@pytest.mark.parametrize("line", [b"event:", b"event: ", b"event"])
def test_empty_event_name_is_message(line: bytes) -> None:
    assert pairs(decode_one(line + b"\ndata: x\n\n")) == [("message", "x")]


def test_event_without_data_not_dispatched() -> None:
    assert decode_one(b"event: block\n\n") == []
    assert decode_one(b"event: block\nid: 3\nretry: 10\n\n") == []


def test_event_fields_reset_after_undispatched_block() -> None:
    stream = b"event: lonely\n\ndata: x\n\n"
    assert pairs(decode_one(stream)) == [("message", "x")]


def test_unicode_event_name_and_data() -> None:
    stream = "event: blöck\ndata: ünïcødé ✓ 🎉\n\n".encode()
    assert pairs(decode_one(stream)) == [("blöck", "ünïcødé ✓ 🎉")]
    assert pairs(decode(bytewise(stream))) == [("blöck", "ünïcødé ✓ 🎉")]


# ---------------------------------------------------------------------------
# blank lines and dispatch


def test_no_phantom_event_after_dispatch() -> None:
    stream = b"data: a\n\n\n\n\r\n\r\r"
    assert_all_ways(stream, [("message", "a")])


def test_no_phantom_event_after_comment() -> None:
    stream = b": hi\n\n\n: there\n\ndata: a\n\n\n"
    assert_all_ways(stream, [("message", "a")])


def test_leading_blank_lines_ignored() -> None:
    assert_all_ways(b"\n\n\r\n\rdata: a\n\n", [("message", "a")])


def test_unterminated_last_event_not_dispatched() -> None:
    decoder = SSEDecoder()
    assert pairs(decoder.feed(b"data: a\n\ndata: b\n")) == [("message", "a")]
    assert decoder.close() == []


def test_unterminated_last_line_not_dispatched() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: partial") == []
    assert decoder.close() == []


def test_close_on_empty_decoder() -> None:
    assert SSEDecoder().close() == []


# ---------------------------------------------------------------------------
# pending


def test_pending_tracks_partial_event() -> None:
    decoder = SSEDecoder()
    assert decoder.pending is False
    decoder.feed(b"data: x")
    assert decoder.pending is True
    decoder.feed(b"\n")
    assert decoder.pending is True
    assert len(decoder.feed(b"\n")) == 1
    assert decoder.pending is False


# ---------------------------------------------------------------------------
# id and retry


def test_id_sets_event_id_and_last_event_id() -> None:
    decoder = SSEDecoder()
    assert decoder.last_event_id == ""
    events = decoder.feed(b"id: 42\ndata: x\n\n")
    assert events[0].id == "42"
    assert decoder.last_event_id == "42"


def test_id_before_any_id_line_is_empty_or_none() -> None:
    events = decode_one(b"data: x\n\n")
    assert events[0].id in (None, "")


def test_last_event_id_persists_across_events() -> None:
    events = decode_one(b"id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\ndata: d\n\n")
    assert [e.id for e in events] == ["1", "1", "2", "2"]


def test_empty_id_resets_last_event_id() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"id: 1\ndata: a\n\nid:\ndata: b\n\ndata: c\n\n")
    assert [e.id for e in events] == ["1", "", ""]
    assert decoder.last_event_id == ""


def test_id_in_undispatched_block_still_updates_last_event_id() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"id: 5\n\ndata: x\n\n")
    assert [e.id for e in events] == ["5"]
    assert decoder.last_event_id == "5"


def test_id_with_nul_ignored() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n")
    assert [e.id for e in events] == ["1", "1"]
    assert decoder.last_event_id == "1"


def test_id_with_nul_ignored_before_any_id() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"id: \x00\ndata: a\n\n")
    assert norm_id(events[0].id) == ""
    assert decoder.last_event_id == ""


def test_id_value_keeps_inner_and_trailing_spaces() -> None:
    events = decode_one(b"id:  a b \ndata: x\n\n")
    assert events[0].id == " a b "


def test_id_of_an_event_cut_off_by_the_end_does_not_count() -> None:
    # the WHATWG rule (web-platform-tests): the last event id moves only at dispatch
    decoder = SSEDecoder()
    events = decoder.feed(b"retry:1000\ndata:test1\n\nid:test\ndata:test2\n")
    assert pairs(events) == [("message", "test1")]
    assert decoder.last_event_id == ""
    assert decoder.close() == []
    assert decoder.last_event_id == ""


def test_id_counts_only_when_its_blank_line_arrives() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"id: 1\ndata: a\n\nid: 2\ndata: b\n") == [
        ServerSentEvent("message", "a", "1")
    ]
    assert decoder.last_event_id == "1"
    assert decoder.feed(b"\n") == [ServerSentEvent("message", "b", "2")]
    assert decoder.last_event_id == "2"


def test_id_of_a_discarded_event_does_not_leak_into_later_events() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"id: 1\ndata: a\n\nid: lost\ndata: b\n")
    decoder.close()
    events = decoder.feed(b"data: c\n\n")
    assert [e.id for e in events] == ["1"]
    assert decoder.last_event_id == "1"


@pytest.mark.parametrize("size", [1, 2, 5])
def test_last_event_id_the_same_in_any_chunking(size: int) -> None:
    stream = b"id: 1\ndata: a\n\nid: 2\n\nid: 3\ndata: c\n"
    decoder = SSEDecoder()
    for start in range(0, len(stream), size):
        decoder.feed(stream[start : start + size])
    decoder.close()
    assert decoder.last_event_id == "2"


def test_retry_in_a_block_without_data_is_kept() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"retry: 2500\n\ndata: x\n\n")
    assert pairs(events) == [("message", "x")]
    assert events[0].retry == 2500
    assert decoder.retry == 2500


def test_retry_is_stream_state_across_blocks() -> None:
    decoder = SSEDecoder()
    assert decoder.retry is None
    events = decoder.feed(b"retry: 5\ndata: a\n\ndata: b\n\nretry: 7\ndata: c\n\n")
    assert [e.retry for e in events] == [5, 5, 7]
    assert decoder.retry == 7
    decoder.feed(b"retry: nope\ndata: d\n")  # invalid: ignored; then the event is cut off
    decoder.close()
    assert decoder.retry == 7
    assert decoder.feed(b"data: e\n\n")[0].retry == 7


def test_retry_applies_at_once_even_in_an_event_cut_off() -> None:
    # the spec sets the reconnection time when the field is read, not at dispatch
    decoder = SSEDecoder()
    decoder.feed(b"data: a\n\nretry: 3000\ndata: lost\n")
    decoder.close()
    assert decoder.retry == 3000


def test_retry_digits() -> None:
    events = decode_one(b"retry: 1500\ndata: x\n\n")
    assert events[0].retry == 1500


@pytest.mark.parametrize(
    "value",
    [
        "10a",
        "-1",
        "+5",
        "1.5",
        " 5",
        "5 ",
        "1_000",
        "\uff11\uff12",  # fullwidth digits: str.isdigit() is True, not ASCII
        "\u0661\u0662",  # Arabic-Indic digits
        "\u00b2",  # superscript two: isdigit() but int() fails
        "abc",
    ],
)
def test_retry_ignored_unless_all_ascii_digits(value: str) -> None:
    stream = b"retry: " + value.encode() + b"\ndata: x\n\n"
    events = decode_one(stream)
    assert pairs(events) == [("message", "x")]
    assert events[0].retry is None


# ---------------------------------------------------------------------------
# byte order mark


def test_bom_at_start_dropped() -> None:
    assert_all_ways(b"\xef\xbb\xbfdata: x\n\n", [("message", "x")])


def test_bom_split_across_chunks_dropped() -> None:
    events = decode([b"\xef", b"\xbb\xbfdata: x\n\n"])
    assert pairs(events) == [("message", "x")]
    events = decode([b"\xef\xbb", b"\xbf", b"data: x\n\n"])
    assert pairs(events) == [("message", "x")]


def test_only_one_bom_dropped() -> None:
    # The second BOM becomes part of the field name "\ufeffdata", an unknown field.
    assert decode_one(b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\n") == []


def test_bom_not_at_stream_start_is_not_dropped() -> None:
    stream = b"data: a\n\n\xef\xbb\xbfdata: b\n\ndata: c\n\n"
    assert_all_ways(stream, [("message", "a"), ("message", "c")])


def test_bom_after_first_chunk_is_not_dropped() -> None:
    events = decode([b"data: a\n\n", b"\xef\xbb\xbfdata: b\n\n"])
    assert pairs(events) == [("message", "a")]


def test_bom_in_data_value_kept() -> None:
    assert pairs(decode_one(b"data: \xef\xbb\xbfx\n\n")) == [("message", "\ufeffx")]


# ---------------------------------------------------------------------------
# UTF-8


def test_invalid_utf8_replaced_not_raised() -> None:
    events = decode_one(b"data: a\xffb\xfe\n\n")
    assert pairs(events) == [("message", "a\ufffdb\ufffd")]


def test_invalid_utf8_in_event_name_replaced() -> None:
    events = decode_one(b"event: x\xc0\ndata: y\n\n")
    assert events[0].event.startswith("x")
    assert "\ufffd" in events[0].event


def test_truncated_multibyte_sequence_replaced() -> None:
    events = decode_one(b"data: \xe2\x82\n\n")
    assert len(events) == 1
    assert "\ufffd" in events[0].data
    assert events[0].data.replace("\ufffd", "") == ""


def test_multibyte_char_split_across_chunks_decodes_correctly() -> None:
    euro = "€".encode()  # 3 bytes
    for i in range(1, len(euro)):
        events = decode([b"data: " + euro[:i], euro[i:] + b"\n\n"])
        assert pairs(events) == [("message", "€")]


def test_four_byte_char_split_at_every_byte() -> None:
    stream = "data: 🎉\n\n".encode()
    assert pairs(decode(bytewise(stream))) == [("message", "🎉")]


def test_invalid_byte_then_valid_in_next_chunk() -> None:
    events = decode([b"data: \xc3", b"x\n\n"])
    assert pairs(events) == [("message", "\ufffdx")]


# ---------------------------------------------------------------------------
# size limit


def test_event_too_large_error_is_stream_error() -> None:
    assert issubclass(EventTooLargeError, StreamError)


def test_event_at_size_limit_accepted() -> None:
    events = decode_one(b"data: " + b"x" * 100 + b"\n\n", max_event_size=100)
    assert len(events) == 1
    assert len(events[0].data) == 100


def test_event_at_size_limit_accepted_in_any_chunking() -> None:
    # The limit is about the event's data, so chunking must not change the verdict.
    stream = b"data: " + b"x" * 100 + b"\n\n"
    assert pairs(decode(bytewise(stream), max_event_size=100)) == [("message", "x" * 100)]


def test_event_over_size_limit_raises() -> None:
    decoder = SSEDecoder(max_event_size=100)
    with pytest.raises(EventTooLargeError):
        decoder.feed(b"data: " + b"x" * 101 + b"\n\n")


def test_event_over_size_limit_across_data_lines_raises() -> None:
    decoder = SSEDecoder(max_event_size=100)
    with pytest.raises(EventTooLargeError):
        decoder.feed(b"data: " + b"x" * 40 + b"\ndata: " + b"y" * 40 + b"\n")
        decoder.feed(b"data: " + b"z" * 40 + b"\n\n")


def test_event_over_size_limit_raises_before_line_ends() -> None:
    # An endless line must not be buffered without bound.
    decoder = SSEDecoder(max_event_size=100)
    with pytest.raises(EventTooLargeError):
        for _ in range(100):
            decoder.feed(b"data: " + b"x" * 50)


def test_event_over_size_limit_raises_in_small_chunks() -> None:
    decoder = SSEDecoder(max_event_size=1000)
    stream = b"data: " + b"x" * 2000 + b"\n\n"
    with pytest.raises(EventTooLargeError):
        for chunk in split_at(stream, range(0, len(stream), 7)):
            decoder.feed(chunk)


def test_size_limit_applies_per_event() -> None:
    stream = b"".join(b"data: " + b"x" * 80 + b"\n\n" for _ in range(10))
    events = decode_one(stream, max_event_size=100)
    assert len(events) == 10


def test_default_size_limit_is_16_mib() -> None:
    limit = 16 * 1024 * 1024
    decoder = SSEDecoder()
    with pytest.raises(EventTooLargeError):
        decoder.feed(b"data: " + b"x" * (limit + 1) + b"\n\n")


def test_default_size_limit_allows_large_event() -> None:
    events = decode_one(b"data: " + b"x" * (4 * 1024 * 1024) + b"\n\n")
    assert len(events) == 1
    assert len(events[0].data) == 4 * 1024 * 1024


def test_large_event_in_1kib_chunks_is_decoded() -> None:
    # Linear-time check without timing: a quadratic decoder would not finish.
    size = 16 * 1024 * 1024
    stream = b"event: big\ndata: " + b"x" * size + b"\n\n"
    decoder = SSEDecoder(max_event_size=32 * 1024 * 1024)
    events: list[ServerSentEvent] = []
    view = memoryview(stream)
    for start in range(0, len(stream), 1024):
        events.extend(decoder.feed(bytes(view[start : start + 1024])))
    events.extend(decoder.close())
    assert len(events) == 1
    assert events[0].event == "big"
    assert len(events[0].data) == size


def test_many_data_lines_in_small_chunks_is_decoded() -> None:
    lines = 20_000
    stream = b"".join(b"data: %05d\n" % i for i in range(lines)) + b"\n"
    decoder = SSEDecoder(max_event_size=32 * 1024 * 1024)
    events: list[ServerSentEvent] = []
    for start in range(0, len(stream), 1024):
        events.extend(decoder.feed(stream[start : start + 1024]))
    assert len(events) == 1
    parts = events[0].data.split("\n")
    assert len(parts) == lines
    assert parts[0] == "00000"
    assert parts[-1] == f"{lines - 1:05d}"


# ---------------------------------------------------------------------------
# property: generated streams, any chunking

FIELD_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
    max_size=12,
)
EVENT_NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCXYZ_-.", max_size=8)
ENDING = st.sampled_from(["\n", "\r\n", "\r"])

LINE = st.one_of(
    st.tuples(st.just("data"), FIELD_TEXT),
    st.tuples(st.just("data"), FIELD_TEXT),
    st.tuples(st.just("bare-data"), st.just("")),
    st.tuples(st.just("event"), EVENT_NAME),
    st.tuples(st.just("id"), FIELD_TEXT),
    st.tuples(st.just("id"), st.just("bad\x00id")),
    st.tuples(st.just("retry"), st.integers(0, 999_999).map(str)),
    st.tuples(st.just("comment"), FIELD_TEXT),
    st.tuples(st.just("unknown"), FIELD_TEXT),
)


@st.composite
def event_streams(draw: st.DrawFn) -> tuple[bytes, list[tuple[str, str, str]]]:
    """A random valid event stream and the (event, data, id) the spec says it yields."""
    blocks = draw(st.lists(st.lists(LINE, max_size=5), max_size=6))
    trailing = draw(st.lists(LINE.filter(lambda x: x[0] != "bare-data"), max_size=3))
    bom = draw(st.booleans())
    lines: list[str] = []
    expected: list[tuple[str, str, str]] = []
    last_id = ""

    def render(kind: str, value: str) -> str:
        if kind == "comment":
            return ":" + value
        if kind == "bare-data":
            return "data"
        name = "x-unknown" if kind == "unknown" else kind
        sep = " " if value.startswith(" ") else draw(st.sampled_from(["", " "]))
        return f"{name}:{sep}{value}"

    for block in blocks:
        data: list[str] = []
        event = ""
        for kind, value in block:
            lines.append(render(kind, value))
            if kind == "data":
                data.append(value)
            elif kind == "bare-data":
                data.append("")
            elif kind == "event":
                event = value
            elif kind == "id" and "\x00" not in value:
                last_id = value
        lines.append("")
        if data:
            expected.append((event or "message", "\n".join(data), last_id))
    for kind, value in trailing:
        lines.append(render(kind, value))

    text_parts: list[str] = []
    previous = ""
    for line in lines:
        ending = draw(ENDING)
        if previous == "\r" and line == "":
            # "\r" followed by an empty line ending in "\n..." would merge into one "\r\n".
            ending = draw(st.sampled_from(["\r", "\r\n"]))
        text_parts.append(line + ending)
        previous = ending
    text = "".join(text_parts)
    if trailing and draw(st.booleans()):
        text = text.rstrip("\r\n")  # the last line may be unterminated too
    raw = text.encode()
    if bom:
        raw = b"\xef\xbb\xbf" + raw
    return raw, expected


def test_event_streams_strategy_smoke() -> None:
    stream = b"data: a\r\rdata\n\n"
    assert pairs(decode_one(stream)) == [("message", "a"), ("message", "")]


@SETTINGS
@given(event_streams(), st.data())
def test_generated_streams_any_chunking_yields_same_events_as_one_chunk(
    generated: tuple[bytes, list[tuple[str, str, str]]], data: st.DataObject
) -> None:
    stream, expected = generated
    whole = decode_one(stream)
    offsets = data.draw(st.lists(st.integers(0, len(stream)), max_size=20))
    assert decode(split_at(stream, offsets)) == whole
    assert decode(bytewise(stream)) == whole
    # ... and what they yield is what the spec says.
    assert [(e.event, e.data, norm_id(e.id)) for e in whole] == expected
