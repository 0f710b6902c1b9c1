"""The compiled (mypyc) sans-IO core behaves exactly as the pure-Python one.

Random event streams (valid and malformed Ana events, unknown events and blocks,
multi-line data, comments, ``id``/``retry``/unknown fields, LF/CRLF/CR/mixed line
endings, a BOM, bytes after ``done``, events past a small ``max_event_size``) are fed in
random chunkings to both cores: :class:`AnaDecoder` (both coalesce modes), the bare
:class:`SSEDecoder` and :meth:`AnaFold.feed` must give the same updates per chunk, the
same snapshots, the same stream state and the same errors (type, message, payload).
"""

from __future__ import annotations

import os
import subprocess
import sys
from itertools import pairwise
from pathlib import Path
from typing import Any

import msgspec
import pytest
from _cores import compiled_core, skip_without_compiled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import textql_async
from textql_async.sansio import _select, accelerated, chunked, core_description, fold, sse
from textql_async.sansio._select import PURE, Core

pytestmark = skip_without_compiled

_TEXT = st.text(max_size=30) | st.sampled_from(["", "\r\n\r\n", "event: block\ndata: x", "\u2028"])
_IDS = st.sampled_from(["a", "b", "c", "\u00e9"]) | st.none()


@st.composite
def _block_json(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["text", "text", "python", "ontology", "error", "unknown", "bad"]))
    block: dict[str, Any]
    if kind == "text":
        block = {"tag": "TextBlock", "contents": draw(_TEXT | st.none()), "id": draw(_IDS)}
    elif kind == "python":
        block = {"tag": "PythonBlock", "contents": draw(_TEXT), "id": draw(_IDS)}
        if draw(st.booleans()):
            block["results"] = draw(
                st.none()
                | st.lists(st.fixed_dictionaries({"tag": st.just("TextResult"), "contents": _TEXT}), max_size=2)
                | st.just("not a list")
            )
    elif kind == "ontology":
        block = {"tag": "OntologyBlock", "id": draw(_IDS), "contents": draw(st.none() | st.just({"query": "q"}))}
    elif kind == "error":
        block = {"tag": "ErrorBlock", "contents": draw(_TEXT)}
    elif kind == "unknown":
        block = {"tag": "FancyBlock", "id": draw(_IDS), "payload": draw(_TEXT)}
    else:  # malformed: not JSON, not an object, no tag, a wrongly typed field
        return draw(st.sampled_from(['{"tag":', "[1, 2]", '{"contents": "x"}', '{"tag":"TextBlock","contents":5,"id":"a"}', "nul"]))
    return msgspec.json.encode(block).decode()


@st.composite
def _event_lines(draw: st.DrawFn) -> list[str]:
    kind = draw(st.sampled_from(["block"] * 6 + ["meta", "bad-meta", "message", "unknown", "comment", "fields"]))
    if kind == "comment":
        return [":" + draw(st.sampled_from(["", " keep-alive", "x: y"]))]
    if kind == "fields":  # a frame without data: its id and retry still count
        return draw(st.lists(st.sampled_from(["id: 42", "retry: 900", "retry: x1", "id", "id: a\x00b"]), min_size=1, max_size=3))
    if kind == "block":
        name, data = "block", draw(_block_json())
    elif kind == "meta":
        name = draw(st.sampled_from(["chatId", "userMsgId", "assistantMsgId"]))
        data = '"chat-1"' if name == "chatId" else draw(st.sampled_from(["7", '"8"']))
    elif kind == "bad-meta":
        name = draw(st.sampled_from(["chatId", "userMsgId", "assistantMsgId"]))
        data = draw(st.sampled_from(["", "7.5", '""', "true", "{"]))
    elif kind == "message":
        name, data = "message", draw(st.sampled_from(['"thinking"', '"done"', '{"tag":"TextBlock","contents":"m","id":"a"}', "{"]))
    else:
        name, data = draw(st.sampled_from(["ping", "Block", "block ", "blocks"])), draw(_TEXT)
    plain = draw(st.integers(0, 3)) > 0
    lines = [f"event: {name}" if plain else f"event:{name}{draw(st.sampled_from(['', ' ', chr(9)]))}"]
    if not plain:
        lines += draw(st.lists(st.sampled_from(["id: 7", "retry: 1500", "x-trace: 1", ": c"]), max_size=2))
    parts = data.split("\n") if data else [""]
    if name == "block" and not plain and draw(st.booleans()):
        try:
            parts = msgspec.json.format(data, indent=1).split("\n")  # multi-line data
        except msgspec.DecodeError:
            pass
    lines += [f"data: {part}" for part in parts]
    return lines


@st.composite
def streams(draw: st.DrawFn) -> tuple[list[bytes], int]:
    """Chunks of one random stream, and the ``max_event_size`` to decode it with."""
    frames = [['event: chatId', 'data: "c"'], *draw(st.lists(_event_lines(), max_size=30))]
    ending_mode = draw(st.sampled_from(["\n", "\n", "\r\n", "\r", "mixed"]))
    out: list[str] = []
    for frame in frames:
        for line in [*frame, ""]:
            ending = draw(st.sampled_from(["\n", "\r\n", "\r"])) if ending_mode == "mixed" else ending_mode
            out.append(line + ending)
    data = "".join(out).encode()
    if draw(st.integers(0, 5)) == 0:
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 5)) == 0:
        data = data[: draw(st.integers(0, len(data)))]  # cut mid-stream
    roll = draw(st.integers(0, 3))
    if roll == 0:
        step = draw(st.integers(1, 9))
        cuts = list(range(step, len(data), step))
    else:
        cuts = sorted(draw(st.sets(st.integers(1, max(1, len(data) - 1)), max_size=10)))
    bounds = [0, *cuts, len(data)]
    max_size = draw(st.sampled_from([sse.DEFAULT_MAX_EVENT_SIZE] * 3 + [40, 120, 400]))
    return [data[a:b] for a, b in pairwise(bounds) if b > a], max_size


def _error(exc: BaseException) -> tuple[Any, ...]:
    return (
        type(exc),
        str(exc),
        getattr(exc, "snapshot", None),
        getattr(exc, "raw", None),
        getattr(exc, "limit", None),
        getattr(exc, "events", None),
    )


def _decode(core: Core, chunks: list[bytes], max_size: int, coalesce: bool) -> list[Any]:
    """Everything observable from AnaDecoder: per-chunk updates, state, the error."""
    decoder = core.AnaDecoder(core.AnaFold(), max_size)
    seen: list[Any] = []
    try:
        for chunk in chunks:
            seen.append(decoder.feed(chunk, coalesce=coalesce))
            seen.append((decoder.pending, decoder.fold.events, decoder.fold.last_index))
    except Exception as exc:  # compared, type and all, with the other core's
        seen.append(_error(exc))
    decoder.close()
    fold_ = decoder.fold
    sse_ = decoder._sse
    seen += [fold_.snapshot, fold_.block_count, fold_.done, fold_.chat_id, decoder.pending]
    seen += [sse_.last_event_id, sse_.retry, decoder.fast_chunks, decoder.slow_chunks]
    return seen


def _events(core: Core, chunks: list[bytes], max_size: int) -> list[Any]:
    """Everything observable from SSEDecoder + AnaFold.feed, event by event."""
    decoder = core.SSEDecoder(max_size)
    fold_ = core.AnaFold()
    seen: list[Any] = []
    for chunk in chunks:
        try:
            events = decoder.feed(chunk)
        except Exception as exc:
            seen.append(_error(exc))
            continue  # the decoder recovers at the next event
        seen.append((events, decoder.last_event_id, decoder.retry, decoder.pending))
        for event in events:
            try:
                seen.append(fold_.feed(event.event, event.data))
            except Exception as exc:
                seen.append(_error(exc))
    decoder.close()
    seen += [decoder.pending, decoder.last_event_id, fold_.snapshot, fold_.events]
    return seen


_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(streams(), st.booleans())
def test_decoder_updates_are_identical(case: tuple[list[bytes], int], coalesce: bool) -> None:
    chunks, max_size = case
    compiled = compiled_core()
    assert _decode(compiled, chunks, max_size, coalesce) == _decode(PURE, chunks, max_size, coalesce)


@_SETTINGS
@given(streams())
def test_sse_events_and_fold_are_identical(case: tuple[list[bytes], int]) -> None:
    chunks, max_size = case
    assert _events(compiled_core(), chunks, max_size) == _events(PURE, chunks, max_size)


def test_the_comparison_is_not_vacuous() -> None:
    """The two cores are different classes, and the error paths are reached."""
    compiled = compiled_core()
    assert compiled.AnaDecoder is not PURE.AnaDecoder
    assert compiled.AnaDecoder.__module__ == "textql_async._speedups.chunked"
    bad = [b'event: block\ndata: {"tag":\n\n']
    pure_seen = _decode(PURE, bad, sse.DEFAULT_MAX_EVENT_SIZE, False)
    assert pure_seen[0][0] is textql_async.StreamError
    assert _decode(compiled, bad, sse.DEFAULT_MAX_EVENT_SIZE, False) == pure_seen
    big = [b"event: block\ndata: " + b"x" * 500 + b"\n\n"]
    too_large = _decode(compiled, big, 100, False)
    assert too_large[0][0] is textql_async.EventTooLargeError
    assert too_large == _decode(PURE, big, 100, False)


def test_public_names_resolve_to_the_compiled_core() -> None:
    compiled = compiled_core()
    assert accelerated() and core_description() == "compiled with mypyc"
    assert chunked.AnaDecoder is compiled.AnaDecoder
    assert fold.AnaFold is compiled.AnaFold is textql_async.AnaFold
    assert sse.SSEDecoder is compiled.SSEDecoder is textql_async.SSEDecoder
    # the message types are shared: one class whichever core built the value
    updates = compiled.AnaDecoder().feed(b'event: block\ndata: {"tag":"TextBlock","contents":"x","id":"a"}\n\n')
    assert type(updates[0]) is textql_async.BlockUpdate
    assert compiled.AnaFold.__doc__ == PURE.AnaFold.__doc__


def _run_python(code: str, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k != _select.PURE_ENV} | env
    done = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip()


_PROBE = (
    "import sys, textql_async, textql_async._streaming as s, textql_async._chat_stream as c\n"
    "from textql_async.sansio import accelerated, core_description\n"
    "print(accelerated(), s.AnaDecoder.__module__, s.AnaFold.__module__, c.SSEDecoder.__module__,"
    " any('_speedups' in m for m in sys.modules), core_description(), sep='|')\n"
)


def test_env_var_forces_the_pure_core_in_a_fresh_process() -> None:
    out = _run_python(_PROBE, TEXTQL_ASYNC_PURE="1").split("|")
    assert out == [
        "False",
        "textql_async.sansio.chunked",
        "textql_async.sansio.fold",
        "textql_async.sansio.sse",
        "False",  # the compiled modules are not even imported
        "pure Python (TEXTQL_ASYNC_PURE is set)",
    ]


def test_without_the_env_var_a_fresh_process_uses_the_compiled_core() -> None:
    out = _run_python(_PROBE, TEXTQL_ASYNC_PURE="0").split("|")
    assert out[:5] == [
        "True",
        "textql_async._speedups.chunked",
        "textql_async._speedups.fold",
        "textql_async._speedups.sse",
        "True",
    ]


def test_a_stale_build_is_never_selected(monkeypatch: pytest.MonkeyPatch) -> None:
    """A compiled module whose BUILT_FROM does not match its source is not loaded."""
    import textql_async._speedups.fold as compiled_fold

    assert _select._load_compiled()[0] == compiled_core()
    monkeypatch.setattr(compiled_fold, "BUILT_FROM", "built from an older fold.py")
    core, reason = _select._load_compiled()
    assert core is None
    assert reason == "stale: textql_async.sansio.fold changed since the build (run `make accel`)"


def _build_tool() -> Any:
    from _modules import load_file

    path = Path(__file__).resolve().parents[2] / "tools" / "build_speedups.py"
    return load_file("_build_speedups_under_test", path)


def test_a_failed_build_leaves_no_copies_that_cannot_import(tmp_path: Path) -> None:
    """Without a compiler (``CC=/bin/false make test``) the build fails after writing the
    ``.py`` copies; the ``chunked`` copy imports ``_frame``, which then does not exist, so the
    copies must go too unless another Python's build still uses them."""
    tool = _build_tool()
    target = tmp_path / "_speedups"
    target.mkdir()
    for name in ("__init__.py", "chunked.py", "_frame.pyi"):
        (target / name).write_text("")
    tool.TARGET = target
    other = target / "chunked.cpython-399-x86_64-linux-gnu.so"  # another Python's build
    other.write_bytes(b"")
    tool._remove_copies_if_unused()
    assert (target / "chunked.py").exists()
    other.unlink()
    tool._remove_copies_if_unused()
    assert not target.exists()
