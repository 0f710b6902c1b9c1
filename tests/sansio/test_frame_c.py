"""The C framing step of the compiled core (``_frame.c``) gives exactly what the Python one does.

``AnaDecoder``'s fast path turns a run of plain block events into one line of JSON per
event (``chunked._plain_payload``); the compiled core runs a C copy of that function.
Random regions made of separators, near-separators, lone newlines and text are given to
both: same bytes, same count. The whole decoder is compared across cores in
``test_compiled_core.py``; this checks the one function in C directly, on inputs the
decoder would rarely build.
"""

from __future__ import annotations

import pytest
from _cores import skip_without_compiled
from hypothesis import given, settings
from hypothesis import strategies as st

from textql_async.sansio import _select, chunked

pytestmark = skip_without_compiled

_PIECES = st.sampled_from(
    [
        chunked._SEPARATOR,
        chunked._PREFIX,
        b"\n\n",
        b"\n",
        b"\n\nevent: block\ndata:",  # one byte short of a separator
        b"\n\nevent: block\ndata: \n\nevent: block\ndata: ",  # an empty value between two
        b"\nevent: block\ndata: ",
        b'{"tag":"TextBlock","contents":"x","id":"a"}',
        b"\xc3\xa9",
        b" ",
    ]
) | st.binary(max_size=12)


def _c_payload(data: bytes, end: int | None = None) -> tuple[bytes, int]:
    from textql_async._speedups._frame import plain_payload

    return plain_payload(data, len(data) if end is None else end)


def _py_payload(data: bytes, end: int | None = None) -> tuple[bytes, int]:
    payload, events = chunked._plain_payload(data, len(data) if end is None else end)
    return bytes(payload), events


@settings(max_examples=1500, deadline=None)
@given(st.lists(_PIECES, max_size=25), st.lists(_PIECES, max_size=4))
def test_c_and_python_framing_agree(pieces: list[bytes], after: list[bytes]) -> None:
    region = chunked._PREFIX + b"".join(pieces)
    assert _c_payload(region) == _py_payload(region)
    # a region at the start of a longer chunk: the bytes after ``end`` are not read
    data = region + b"".join(after)
    assert _c_payload(data, len(region)) == _py_payload(data, len(region)) == _py_payload(region)


_VALUES = st.sampled_from(
    [b'{"tag":"TextBlock","contents":"x","id":"a"}', b"", b" ", b"\t1", b"\r", b"1 2", b"\n"]
) | st.binary(max_size=8)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_VALUES, min_size=1, max_size=12))
def test_c_and_python_agree_on_runs_of_events(values: list[bytes]) -> None:
    # built as the decoder builds them: events, each ending with a blank line
    region = chunked._PREFIX + chunked._SEPARATOR.join(values) + b"\n\n"
    assert _c_payload(region) == _py_payload(region)


def test_the_comparison_is_not_vacuous() -> None:
    block = b'{"tag":"TextBlock","contents":"x","id":"a"}'
    region = chunked._PREFIX + block + chunked._SEPARATOR + block + b"\n\n"
    assert _c_payload(region) == (block + b"\n" + block, 2)
    assert _c_payload(chunked._PREFIX + b"1\n\n") == (b"1", 1)
    # not plain: no final blank line, an empty or blank value, a second line in an event
    # (msgspec's decode_lines skips blank lines, so these could balance a wrong count)
    for bad in (b"", b"1", b"\n\n", b" \n\n", b"1\n2\n\n", b"1" + chunked._SEPARATOR + b"\n\n"):
        assert _c_payload(chunked._PREFIX + bad) == _py_payload(chunked._PREFIX + bad) == (b"", 0)
    # overlapping candidates: the leftmost separator wins, as bytes.split finds it
    tricky = chunked._PREFIX + b"x" + chunked._SEPARATOR + b"\n" + chunked._SEPARATOR + b"y\n\n"
    assert _c_payload(tricky) == _py_payload(tricky) == (b"", 0)
    tricky = chunked._PREFIX + b"x" + chunked._SEPARATOR + b"event: block\ndata: y\n\n"
    assert _c_payload(tricky) == _py_payload(tricky) == (b"", 0)


def test_the_compiled_decoder_uses_the_c_framing() -> None:
    import textql_async._speedups.chunked as compiled_chunked
    from textql_async._speedups._frame import plain_payload

    assert compiled_chunked._plain_payload is plain_payload


def test_bad_arguments_raise_typed_errors() -> None:
    from textql_async._speedups._frame import plain_payload

    with pytest.raises(TypeError, match="takes bytes, not bytearray"):
        plain_payload(bytearray(chunked._PREFIX), 19)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="takes 2 arguments"):
        plain_payload(chunked._PREFIX)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="does not start with a plain block event"):
        _c_payload(b"event: chatId\ndata: 1\n\n")
    with pytest.raises(ValueError, match="does not start with a plain block event"):
        _c_payload(chunked._PREFIX, 10)  # the prefix itself cut by ``end``
    with pytest.raises(ValueError, match="end is outside the data"):
        _c_payload(chunked._PREFIX, 20)


def test_a_stale_c_build_is_never_selected(monkeypatch: pytest.MonkeyPatch) -> None:
    import textql_async._speedups._frame as frame

    assert _select._load_compiled()[0] is not None
    monkeypatch.setattr(frame, "BUILT_FROM", "built from an older _frame.c")
    core, reason = _select._load_compiled()
    assert core is None
    assert reason == "stale: _frame.c changed since the build (run `make accel`)"
