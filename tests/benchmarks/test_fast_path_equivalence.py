"""The chunked fast path gives exactly the results of the general spec path.

Random valid Ana streams (every block kind, unknown tags and fields, metadata, unknown
events, comments, ``id``/``retry``/unknown fields, multi-line data, event names with
trailing whitespace, a BOM, LF/CRLF/CR/mixed line endings, bytes after ``done``) are fed in
random chunks to :class:`AnaDecoder` (both coalesce modes) and to :class:`SSEDecoder` +
:meth:`AnaFold.feed`, the reference.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import msgspec
import pytest
from _cores import both_cores  # noqa: F401  (every test here runs on both cores)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from textql_async import StreamError
from textql_async.sansio.chunked import AnaDecoder
from textql_async.sansio.fold import AnaFold, BlockUpdate
from textql_async.sansio.sse import SSEDecoder

# -- what an Ana event carries --------------------------------------------------------------

_IDS = st.sampled_from(["a", "b", "c", "9b2e6f0e-7c1d-4c8a-9d7e-3f1b2a4c5d6e", "\u00e9\u4e2d"])
_TEXT = st.text(max_size=40) | st.sampled_from(
    ["", "event: block\ndata: x", "\r\n\r\n", "\u2028\u2029", '"quoted" \\ back', "\U0001f600"]
)
_RESULT = st.one_of(
    st.fixed_dictionaries({"tag": st.just("TextResult"), "contents": _TEXT}),
    st.fixed_dictionaries(
        {"tag": st.just("ImageUrlResult")}, optional={"contents": _TEXT, "url": _TEXT}
    ),
    st.fixed_dictionaries({"tag": st.just("ChartResult"), "spec": st.integers()}),
)
_ONTOLOGY = st.none() | st.fixed_dictionaries(
    {},
    optional={
        "query": _TEXT,
        "result": st.fixed_dictionaries(
            {},
            optional={
                "complete": st.booleans(),
                "sqlQuery": _TEXT,
                "connectorId": st.integers(0, 99),
            },
        ),
    },
)
_EXTRA = st.dictionaries(st.sampled_from(["extra", "score", "meta"]), st.integers(), max_size=1)


@st.composite
def _block(draw: st.DrawFn, known: bool = False) -> dict[str, Any]:
    kinds = ["text", "text", "text", "python", "ontology"]
    kind = draw(st.sampled_from(kinds if known else [*kinds, "error", "unknown"]))
    block: dict[str, Any]
    if kind == "text":
        block = {"tag": "TextBlock", "contents": draw(_TEXT), "id": draw(_IDS)}
    elif kind == "python":
        block = {"tag": "PythonBlock", "contents": draw(_TEXT), "id": draw(_IDS)}
        if draw(st.booleans()):
            block["results"] = draw(st.none() | st.lists(_RESULT, max_size=3))
    elif kind == "ontology":
        block = {"tag": "OntologyBlock", "id": draw(_IDS), "contents": draw(_ONTOLOGY)}
        if draw(st.booleans()):
            block["tool_call_id"] = draw(st.text(max_size=8))
    elif kind == "error":
        block = {"tag": "ErrorBlock", "contents": draw(_TEXT)}  # the docs' ErrorBlock: no id
    else:
        block = {"tag": "FancyBlock", "id": draw(_IDS | st.none()), "payload": draw(_TEXT)}
    block.update(draw(_EXTRA))
    return block


@st.composite
def _event(draw: st.DrawFn, known: bool = False) -> tuple[str, str] | str:
    """``(event name, JSON data)``, or a comment line (``str`` starting with ``:``)."""
    kind = draw(
        st.sampled_from(["block"] * 8 + ["chatId", "userMsgId", "message", "unknown", "comment"])
    )
    if kind == "block" or (known and draw(st.integers(0, 3)) > 0):
        return "block", msgspec.json.encode(draw(_block(known))).decode()
    if kind == "chatId":
        return "chatId", msgspec.json.encode(draw(st.text(min_size=1, max_size=12))).decode()
    if kind == "userMsgId":
        name = draw(st.sampled_from(["userMsgId", "assistantMsgId"]))
        value = draw(st.integers(0, 10**6))
        return name, str(value) if draw(st.booleans()) else f'"{value}"'
    if kind == "message":
        return "message", '"thinking"'
    if kind == "unknown":
        return draw(st.sampled_from(["ping", "Block", "blocks"])), draw(st.text(max_size=10))
    return ":" + draw(st.sampled_from(["", " keep-alive", "comment: x"]))


# -- rendering with every formatting the spec allows ----------------------------------------


@st.composite
def _frame_lines(draw: st.DrawFn, event: tuple[str, str] | str, messy: bool) -> list[str]:
    if isinstance(event, str):
        return [event]
    name, data = event
    if not messy and (name == "block" or draw(st.booleans())):
        return [f"event: {name}", f"data: {data}"]  # the plain shape the fast path takes
    lines: list[str] = []
    padding = draw(st.sampled_from(["", "", "", " ", "  ", "\t"]))
    if name == "message" and draw(st.booleans()):
        pass  # "message" is the default event type: the name may be left out
    else:
        colon = draw(st.sampled_from(["event: ", "event: ", "event:"]))
        lines.append(f"{colon}{name}{padding}")
    for _ in range(draw(st.integers(0, 2))):
        lines.append(
            draw(st.sampled_from(["id: 7", "retry: 1500", "x-trace: 1", ": inline comment"]))
        )
    if name == "block" and draw(st.integers(0, 4)) == 0:
        # multi-line data: the same JSON pretty-printed, one data line per line
        pretty = msgspec.json.format(data, indent=1)
        parts = pretty.split("\n")
    else:
        parts = [data]
    no_space = draw(st.booleans())
    for part in parts:
        lines.append(("data:" if no_space and not part.startswith(" ") else "data: ") + part)
    if draw(st.integers(0, 5)) == 0:
        lines.insert(draw(st.integers(0, len(lines))), "retry: 10")
    return lines


@st.composite
def ana_streams(draw: st.DrawFn) -> bytes:
    messy = draw(st.booleans())  # else: plain block events, LF (mostly the fast path)
    known = not messy and draw(st.booleans())  # only blocks with ids and known tags
    events: list[tuple[str, str] | str] = [("chatId", '"chat-1"')]
    events += draw(st.lists(_event(known), min_size=0 if messy else 8, max_size=50))
    done = draw(st.booleans())
    if done:
        events.append(("message", '"done"'))
        events += draw(st.lists(_event(), max_size=3))  # ignored: after done
    frames = [draw(_frame_lines(event, messy)) for event in events]
    if messy:
        ending_mode = draw(st.sampled_from(["\n", "\r\n", "\r", "mixed"]))
    else:
        ending_mode = "\n"
    out: list[str] = []
    for frame in frames:
        for line in [*frame, ""]:  # an empty line ends the frame
            if ending_mode == "mixed":
                ending = draw(st.sampled_from(["\n", "\r\n"]))
            else:
                ending = ending_mode
            out.append(line + ending)
        if draw(st.integers(0, 9)) == 0:
            out.append("\n" if ending_mode != "\r" else "\r")  # an extra blank line
    data = "".join(out).encode()
    if draw(st.integers(0, 4)) == 0:
        data = b"\xef\xbb\xbf" + data
    return data


@st.composite
def chunked_streams(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
    data = draw(ana_streams())
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(data) - 1)), max_size=8)))
    roll = draw(st.integers(0, 5))
    if roll <= 1:
        # small pieces, as a slow network or a proxy delivers them (the linear-time tail)
        step = draw(st.integers(1, 7)) if roll == 0 else draw(st.sampled_from([1, 16, 64]))
        cuts = list(range(step, len(data), step))
    bounds = [0, *cuts, len(data)]
    return data, [data[a:b] for a, b in pairwise(bounds) if b > a]


# -- the paths ------------------------------------------------------------------------------


def _general_chunk(sse: SSEDecoder, fold: AnaFold, chunk: bytes) -> list[BlockUpdate]:
    """The updates the general path completes for one chunk (none after done); a
    :class:`StreamError` carries those before it in ``updates``, as AnaDecoder's does."""
    updates: list[BlockUpdate] = []
    if fold.done:
        return updates
    try:
        for event in sse.feed(chunk):
            update = fold.feed(event.event, event.data)
            if update is not None:
                updates.append(update)
            if fold.done:
                break
    except StreamError as exc:
        exc.updates = updates
        raise
    return updates


def _reference(chunks: list[bytes]) -> tuple[list[list[BlockUpdate]], AnaFold]:
    """SSEDecoder + AnaFold.feed, the updates each chunk completed (stops at done)."""
    sse = SSEDecoder()
    fold = AnaFold()
    per_chunk = [_general_chunk(sse, fold, chunk) for chunk in chunks]
    sse.close()
    return per_chunk, fold


def _coalesced(updates: list[BlockUpdate]) -> list[BlockUpdate]:
    """What coalescing promises for one chunk: per slot (in first-update order) its newest
    block, new if the slot appeared in this chunk."""
    newest: dict[int, BlockUpdate] = {}
    for update in updates:
        first = newest.get(update.index, update)
        newest[update.index] = BlockUpdate(update.index, update.block, first.is_new)
    return list(newest.values())


def _fast(chunks: list[bytes], coalesce: bool) -> tuple[list[list[BlockUpdate]], AnaFold]:
    decoder = AnaDecoder()
    per_chunk = [decoder.feed(chunk, coalesce=coalesce) for chunk in chunks]
    decoder.close()
    return per_chunk, decoder.fold


_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(chunked_streams())
def test_every_version_path_matches_the_general_path(case: tuple[bytes, list[bytes]]) -> None:
    data, chunks = case
    expected, reference = _reference(chunks)
    per_chunk, fold = _fast(chunks, coalesce=False)
    assert per_chunk == expected  # every update, in the same chunk, in the same order
    assert fold.snapshot == reference.snapshot
    # the same bytes in one chunk give the same answer too
    whole, fold_whole = _fast([data], coalesce=False)
    assert whole[0] == [u for updates in expected for u in updates]
    assert fold_whole.snapshot == reference.snapshot


@_SETTINGS
@given(chunked_streams())
def test_coalesced_path_matches_the_general_path(case: tuple[bytes, list[bytes]]) -> None:
    _data, chunks = case
    expected, reference = _reference(chunks)
    per_chunk, fold = _fast(chunks, coalesce=True)
    assert fold.snapshot == reference.snapshot
    assert per_chunk == [_coalesced(updates) for updates in expected]


def test_streams_exercise_the_fast_path() -> None:
    """The generator is not vacuous: plain streams do take the fast path."""
    data = b"".join(
        b'event: block\ndata: {"tag":"TextBlock","contents":"%d","id":"a"}\n\n' % i
        for i in range(50)
    )
    decoder = AnaDecoder()
    for start in range(0, len(data), 256):
        decoder.feed(data[start : start + 256])
    assert decoder.fast_chunks > 0
    assert decoder.fold.block_at(0).contents == "49"  # type: ignore[union-attr]


# Invalid UTF-8 inside a block: the general path decodes it with U+FFFD (as the SSE spec
# says); the fast path must hand such a region to the general path, never let msgspec's
# UnicodeDecodeError escape.
_INVALID_UTF8 = b'event: block\ndata: {"tag":"TextBlock","contents":"caf\xe9 \xff ok","id":"u"}\n\n'


@pytest.mark.parametrize("coalesce", [False, True])
def test_invalid_utf8_after_the_first_event_matches_the_general_path(coalesce: bool) -> None:
    chunks = [
        b'event: chatId\ndata: "c"\n\nevent: block\ndata: {"tag":"TextBlock","contents":"x","id":"a"}\n\n',
        _INVALID_UTF8,
        b'event: message\ndata: "done"\n\n',
    ]
    _expected, reference = _reference(chunks)
    _per_chunk, fold = _fast(chunks, coalesce)
    assert fold.snapshot == reference.snapshot
    assert fold.snapshot.answer == "caf\ufffd \ufffd ok"


def _growing_text_stream(sizes: list[int]) -> bytes:
    events = [b'event: chatId\ndata: "c"\n\n']
    for size in sizes:
        block = {"tag": "TextBlock", "id": "t", "contents": "w" * size}
        events.append(b"event: block\ndata: " + msgspec.json.encode(block) + b"\n\n")
    events.append(b'event: message\ndata: "done"\n\n')
    return b"".join(events)


@pytest.mark.parametrize("coalesce", [False, True])
@pytest.mark.parametrize("size", [1, 16, 64])
def test_big_events_in_small_pieces_match_the_general_path(size: int, coalesce: bool) -> None:
    # events of a few KB (held in the fast path's tail) and one past its 64 KiB limit
    # (handed to the SSE decoder mid-event), every piece a few bytes
    data = _growing_text_stream([10, 3_000, 20_000, 70_000, 5, 40_000])
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    expected, reference = _reference(chunks)
    per_chunk, fold = _fast(chunks, coalesce)
    assert fold.snapshot == reference.snapshot
    assert fold.done
    want = expected if not coalesce else [_coalesced(updates) for updates in expected]
    assert per_chunk == want  # each update in the chunk that completed it: prompt


def test_a_blank_line_split_across_two_pieces_ends_the_event_at_once() -> None:
    decoder = AnaDecoder()
    decoder.feed(b'event: chatId\ndata: "c"\n\n')
    head = b'event: block\ndata: {"tag":"TextBlock","contents":"x","id":"a"}\n'
    assert decoder.feed(head) == []
    assert decoder.pending
    updates = decoder.feed(b"\n")
    assert [u.block.id for u in updates] == ["a"]
    assert not decoder.pending


def test_plain_metadata_takes_no_general_path() -> None:
    """Ana's plain metadata (first three events, done) are read without the SSE decoder,
    and give the same answer as the general path."""
    data = (
        b'event: chatId\ndata: "c-1"\n\nevent: userMsgId\ndata: 7\n\n'
        b'event: assistantMsgId\ndata: "8"\n\n'
        b'event: block\ndata: {"tag":"TextBlock","contents":"hi","id":"a"}\n\n'
        b'event: message\ndata: "done"\n\n'
    )
    decoder = AnaDecoder()
    updates = decoder.feed(data)
    assert decoder.slow_chunks == 0
    _expected, reference = _reference([data])
    assert decoder.fold.snapshot == reference.snapshot
    snapshot = decoder.fold.snapshot
    assert (snapshot.chat_id, snapshot.user_msg_id, snapshot.assistant_msg_id) == ("c-1", 7, 8)
    assert snapshot.done and [u.block.id for u in updates] == ["a"]


# Events that look plain to a count of JSON values but are not: msgspec's decode_lines
# skips blank lines, so an event with a second line or two values on one line, next to
# an empty or blank one, gave the right number of values from the wrong events.
_A = b'{"tag":"TextBlock","contents":"A","id":"a"}'
_B = b'{"tag":"TextBlock","contents":"B","id":"b"}'
_NOT_PLAIN = {
    "a second line, then an empty event": b"event: block\ndata: " + _A + b"\n" + _B
    + b"\n\nevent: block\ndata: \n\n",
    "two values on one line, then an empty event": b"event: block\ndata: " + _A + _B
    + b"\n\nevent: block\ndata: \n\n",
    "two values on one line, then a blank event": b"event: block\ndata: " + _A + _B
    + b"\n\nevent: block\ndata:  \t\n\n",
    "a second data line": b"event: block\ndata: " + _A + b"\ndata: " + _B + b"\n\n",
    "a comment inside an event (valid)": b"event: block\ndata: " + _A + b"\n: note\n\n"
    + b"event: block\ndata: " + _B + b"\n\n",
    "a blank line of spaces (valid)": b"event: block\ndata: " + _A + b"\n \n\n",
}


def _outcome(run: Any) -> tuple[Any, str | None]:
    try:
        result = run()
    except StreamError as exc:
        return None, str(exc)
    return result, None


@pytest.mark.parametrize("coalesce", [False, True])
@pytest.mark.parametrize("name", sorted(_NOT_PLAIN))
def test_events_that_only_look_plain_match_the_general_path(name: str, coalesce: bool) -> None:
    chunks = [b'event: chatId\ndata: "c"\n\n', _NOT_PLAIN[name], b'event: message\ndata: "done"\n\n']
    sse = SSEDecoder()
    reference = AnaFold()
    decoder = AnaDecoder()

    def general() -> list[Any]:
        return [reference.feed(e.event, e.data) for c in chunks for e in sse.feed(c)]

    def fast() -> list[list[BlockUpdate]]:
        return [decoder.feed(chunk, coalesce=coalesce) for chunk in chunks]

    expected, expected_error = _outcome(general)
    got, error = _outcome(fast)
    assert error == expected_error
    assert decoder.fold.snapshot == reference.snapshot
    if expected_error is None:
        assert [u for updates in got for u in updates] == [u for u in expected if u is not None] or coalesce
    else:
        assert "not valid JSON" in expected_error  # the case is what its name says


# A malformed event at a random place: both paths raise the same error, and the updates
# the failing chunk completed before it are in ``StreamError.updates`` (never lost).
_MALFORMED = b'event: block\ndata: {"tag": "TextBlock", "contents": "unterminated\n\n'


@st.composite
def _streams_with_a_malformed_event(draw: st.DrawFn) -> list[bytes]:
    data = draw(ana_streams())
    boundaries = [i + 2 for i in range(len(data) - 1) if data[i : i + 2] == b"\n\n"]
    at = draw(st.sampled_from(boundaries)) if boundaries else len(data)
    data = data[:at] + _MALFORMED + data[at:]
    cuts = sorted(draw(st.sets(st.integers(1, len(data) - 1), max_size=6)))
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in pairwise(bounds) if b > a]


def _until_error(feed: Any, chunks: list[bytes]) -> tuple[list[list[BlockUpdate]], str | None]:
    """The updates of each chunk; for the chunk that fails, the updates it carries."""
    per_chunk: list[list[BlockUpdate]] = []
    for chunk in chunks:
        try:
            per_chunk.append(feed(chunk))
        except StreamError as exc:
            per_chunk.append(exc.updates)
            return per_chunk, str(exc)
    return per_chunk, None


@_SETTINGS
@given(_streams_with_a_malformed_event(), st.booleans())
def test_a_malformed_event_keeps_the_updates_before_it(
    chunks: list[bytes], coalesce: bool
) -> None:
    sse = SSEDecoder()
    reference = AnaFold()
    decoder = AnaDecoder()
    expected, expected_error = _until_error(
        lambda chunk: _general_chunk(sse, reference, chunk), chunks
    )
    got, error = _until_error(lambda chunk: decoder.feed(chunk, coalesce=coalesce), chunks)
    assert error == expected_error
    assert got == ([_coalesced(u) for u in expected] if coalesce else expected)
    assert decoder.fold.snapshot == reference.snapshot


def test_updates_before_a_malformed_event_in_the_same_chunk() -> None:
    """Not vacuous: a plain run, then the bad event, in one chunk (the fast path's case)."""
    good = b"".join(
        b'event: block\ndata: {"tag":"TextBlock","contents":"%d","id":"a%d"}\n\n' % (i, i % 3)
        for i in range(6)
    )
    for coalesce in (False, True):
        decoder = AnaDecoder()
        decoder.feed(b'event: chatId\ndata: "c"\n\n')
        with pytest.raises(StreamError, match="malformed block event") as info:
            decoder.feed(good + _MALFORMED, coalesce=coalesce)
        contents = [u.block.contents for u in info.value.updates]  # type: ignore[union-attr]
        assert contents == (["3", "4", "5"] if coalesce else [str(i) for i in range(6)])
        assert len(decoder.fold.snapshot.blocks) == 3


@pytest.mark.parametrize("coalesce", [False, True])
def test_an_oversized_event_after_done_is_ignored(coalesce: bool) -> None:
    """Bytes after ``done`` are ignored, even an event past ``max_event_size`` in the same chunk."""
    block = b'event: block\ndata: {"tag":"TextBlock","contents":"kept","id":"a"}\n\n'
    done = b'event: message\ndata: "done"\n\n'
    oversized = b"event: block\ndata: " + b"x" * 300 + b"\n\n"
    for chunks in ([block + done + oversized], [block, done + oversized]):
        decoder = AnaDecoder(max_event_size=256)
        updates = [u for chunk in chunks for u in decoder.feed(chunk, coalesce=coalesce)]
        assert [u.block.contents for u in updates] == ["kept"]  # type: ignore[union-attr]
        assert decoder.fold.done
        assert decoder.feed(b"more", coalesce=coalesce) == []
