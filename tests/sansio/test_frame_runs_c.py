"""The final path's C scan (``_frame.c: plain_runs``) is never laxer than msgspec.

With ``coalesce=True`` the compiled core frames a run of plain block events and checks
every version in one C pass (JSON syntax, UTF-8, the ``tag``/``id``/``tool_call_id``
types ``_LazyBlock`` gives them), then lets msgspec decode only the newest version of
each id. That is exact only if whatever the scan accepts, msgspec's ``_LazyBlock``
decoder accepts too, with the same ids: here a Python reference (``_plain_payload`` and
msgspec) is compared with it on valid lines (which it must accept: else every answer
would drop to the slow path) and on randomly mutated ones (which it may reject, never
accept alone). The whole decoder is compared across cores in ``test_compiled_core.py``.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from _cores import skip_without_compiled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from textql_async.sansio import chunked

pytestmark = skip_without_compiled

Runs = tuple[list[tuple[bytes, int, int]], int]


def _c_runs(data: bytes, end: int | None = None) -> Runs:
    from textql_async._speedups._frame import plain_runs

    result = plain_runs(data, len(data) if end is None else end)
    assert result is not None
    return result


def _reference(data: bytes, end: int | None = None) -> Runs | None:
    """What msgspec makes of the region: its runs, or None where it rejects a version."""
    end = len(data) if end is None else end
    payload, events = chunked._plain_payload(data, end)
    if not events:
        return None
    runs: list[tuple[bytes, int, int]] = []
    start = len(chunked._PREFIX)
    for value in bytes(payload).split(b"\n"):
        try:
            block = chunked._lazy_lines.decode(value)
        except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError):
            return None
        if block.id is None:
            return None
        key = block.id.encode()
        if runs and runs[-1][0] == key:
            runs[-1] = (key, start, start + len(value))
        else:
            runs.append((key, start, start + len(value)))
        start += len(value) + len(chunked._SEPARATOR)
    return runs, events


def _region(lines: list[bytes]) -> bytes:
    return chunked._PREFIX + chunked._SEPARATOR.join(lines) + b"\n\n"


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
_PLAIN_IDS = st.sampled_from(["a", "b", "43290e4d-5b0c-41a9", ""])
_TYPED = st.none() | st.text(max_size=12)
# top-level keys a JSON encoder writes without escapes (an escaped one is "unsure")
_KEYS = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters='"\\'), max_size=8)


@st.composite
def _block_line(draw: st.DrawFn) -> bytes:
    """A version as a server would encode it: a JSON object with a plain id."""
    block: dict[str, Any] = {"id": draw(_PLAIN_IDS)}
    if draw(st.booleans()):
        block["tag"] = draw(st.sampled_from(["TextBlock", "PythonBlock", "Unknown"]) | _TYPED)
    if draw(st.booleans()):
        block["tool_call_id"] = draw(_TYPED)
    block["contents"] = draw(st.text(max_size=60) | _JSON)
    extra = draw(st.dictionaries(_KEYS, _JSON, max_size=3))
    for key, value in extra.items():
        block.setdefault(key, value)
    keys = draw(st.permutations(list(block)))
    block = {key: block[key] for key in keys}
    if draw(st.booleans()):  # JSON whitespace between tokens, as another encoder writes it
        return json.dumps(block, ensure_ascii=False, separators=(" , ", " :\t")).encode()
    return msgspec.json.encode(block)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_block_line(), min_size=1, max_size=8))
def test_valid_versions_are_accepted_with_msgspecs_runs(lines: list[bytes]) -> None:
    region = _region(lines)
    assert _c_runs(region) == _reference(region)


_SPLICES = st.sampled_from(
    [b'"', b"\\", b"\\u", b"\\ud800", b"\\udc00", b"\\ud83d\\ude00", b"{", b"}", b"[", b"]",
     b",", b":", b" ", b"\t", b"\r", b"\n", b"\x00", b"\x1f", b"\x7f", b"\x80", b"\xc3",
     b"\xc3\xa9", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe0\x80\x80", b"-", b"0", b"01", b".",
     b"e", b"E+", b"1e", b"true", b"nul", b'"id":', b'"id":"a",', b'"tag":5,', b'"id":null,',
     b'"tool_call_id":[],', b'"t\\u0061g":1,', b"\n\nevent: block\ndata: "]
) | st.binary(min_size=1, max_size=3)


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    region = bytearray(_region(draw(st.lists(_block_line(), min_size=1, max_size=4))))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(len(chunked._PREFIX), len(region)))
        cut = draw(st.integers(0, 3))
        region[at : at + cut] = draw(_SPLICES)
    return bytes(region)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_the_scan_never_accepts_what_msgspec_rejects(region: bytes) -> None:
    runs = _c_runs(region)
    if runs != ([], 0):
        assert runs == _reference(region)


def test_the_scan_is_not_vacuous() -> None:
    a1, a2 = b'{"tag":"TextBlock","contents":"x","id":"a"}', b'{"tag":"TextBlock","contents":"xy","id":"a"}'
    b1 = b'{"id":"b","contents":"\xc3\xa9\\n\\u00e9\\ud83d\\ude00","tag":null,"tool_call_id":"t"}'
    region = _region([a1, a2, b1, a1])
    start = len(chunked._PREFIX)
    spans = []
    for line in (a1, a2, b1, a1):
        spans.append((start, start + len(line)))
        start += len(line) + len(chunked._SEPARATOR)
    expected = ([(b"a", *spans[1]), (b"b", *spans[2]), (b"a", *spans[3])], 4)
    assert _c_runs(region) == _reference(region) == expected
    # a region at the start of a longer chunk: the bytes after ``end`` are not read
    assert _c_runs(region + b"event: bl", len(region)) == expected
    # trailing blanks stay in the value; msgspec reads them as whitespace
    assert _c_runs(_region([a1 + b" \t"])) == ([(b"a", 19, 19 + len(a1) + 2)], 1)


@pytest.mark.parametrize(
    "line",
    [
        b'{"id":"a","contents":"x"',  # truncated
        b'{"id":"a","contents":"x\tb"}',  # a control inside a string
        b'{"id":"a","contents":"\xff"}',  # not UTF-8
        b'{"id":"a","contents":"\xed\xa0\x80"}',  # an encoded surrogate
        b'{"id":"a","contents":"\\ud800"}',  # a lone surrogate escape
        b'{"id":"a","contents":"\\x"}',  # an unknown escape
        b'{"id":"a","n":01}',
        b'{"id":"a","n":1.}',
        b'{"id":"a","n":NaN}',
        b'{"id":"a",}',
        b'{"id":"a"} {"id":"b"}',  # two values in one event
        b'["id","a"]',  # not an object
        b"{}",  # no id
        b'{"id":null}',
        b'{"id":"a","tag":5}',  # a typed field of the wrong type
        b'{"id":"a","tool_call_id":["x"]}',
        b'{"id":"a","id":"b"}',  # a repeated typed field
        b'{"i\\u0064":"a"}',  # an escaped key might spell a typed field
        b'{"id":"\\u0061"}',  # an escaped id
        b'{"id":"\xc3\xa9"}',  # a non-ASCII id: compared as bytes, only ASCII is sure
        b'{"id":"a","deep":' + b"[" * 200 + b"]" * 200 + b"}",  # deeper than the scan goes
        b' {"id":"a"}',  # a value that may be blank: the general path
    ],
)
def test_unsure_or_malformed_versions_are_not_plain(line: bytes) -> None:
    good = b'{"id":"a","contents":"x"}'
    assert _c_runs(_region([good, line])) == ([], 0)
    assert _c_runs(_region([good])) != ([], 0)


def test_bad_arguments_raise_typed_errors() -> None:
    from textql_async._speedups._frame import plain_runs

    with pytest.raises(TypeError, match="takes bytes, not bytearray"):
        plain_runs(bytearray(chunked._PREFIX), 19)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="takes 2 arguments"):
        plain_runs(chunked._PREFIX)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="does not start with a plain block event"):
        _c_runs(b"event: chatId\ndata: 1\n\n")
    with pytest.raises(ValueError, match="end is outside the data"):
        _c_runs(chunked._PREFIX, 20)


def test_the_compiled_decoder_uses_the_scan() -> None:
    import textql_async._speedups.chunked as compiled_chunked
    from textql_async._speedups._frame import plain_runs

    assert compiled_chunked._plain_runs is plain_runs
    assert chunked._plain_runs(_region([b'{"id":"a"}']), 33) is None  # pure Python: no scan
