"""Server-sent-event frame builders and the documented example stream."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Union

import msgspec

__all__ = [
    "DOCS_EXAMPLE_STREAM",
    "ScriptEvent",
    "ana_event",
    "block_event",
    "docs_example_events",
    "render_script",
    "sse_comment",
    "sse_frame",
]

ScriptEvent = Union[tuple[str, object], bytes]
"""One scripted event: ``(event_name, payload)`` (payload JSON-encoded) or raw bytes (verbatim)."""

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _check_field(name: str, value: str) -> None:
    if "\n" in value or "\r" in value:
        raise ValueError(f"SSE {name} must not contain line breaks: {value!r}")


def sse_frame(
    event: str | None, data: str, *, id: str | None = None, retry: int | None = None
) -> bytes:
    """Build one SSE frame; multi-line ``data`` becomes several ``data:`` lines."""
    lines: list[str] = []
    if event is not None:
        _check_field("event", event)
        lines.append(f"event: {event}")
    if id is not None:
        _check_field("id", id)
        lines.append(f"id: {id}")
    if retry is not None:
        lines.append(f"retry: {int(retry)}")
    lines.extend(f"data: {part}" if part else "data:" for part in _LINE_BREAK.split(data))
    return ("\n".join(lines) + "\n\n").encode()


def sse_comment(text: str = "keep-alive") -> bytes:
    """Build an SSE comment frame such as ``b": keep-alive\\n\\n"``."""
    _check_field("comment", text)
    return f": {text}\n\n".encode()


def ana_event(event: str, payload: object) -> bytes:
    """Build an Ana event whose data is ``payload`` JSON-encoded (dicts or msgspec Structs).

    The bytes :func:`sse_frame` builds, without its text round trip: msgspec's compact JSON
    never holds a line break (they are escaped inside strings), so the data is one
    ``data:`` line. The fake writes one of these per event per stream, so this is its
    hottest path under a thousand paced streams.
    """
    _check_field("event", event)
    return b"event: " + event.encode() + b"\ndata: " + msgspec.json.encode(payload) + b"\n\n"


def block_event(block: object) -> bytes:
    """Build an ``event: block`` frame from a block dict or a tagged msgspec Struct."""
    return ana_event("block", block)


def render_script(events: Iterable[ScriptEvent]) -> bytes:
    """Render scripted events (tuples or raw bytes) into one SSE byte string."""
    out = bytearray()
    for item in events:
        out += item if isinstance(item, bytes) else ana_event(item[0], item[1])
    return bytes(out)


_DOCS_LINES: tuple[bytes, ...] = (
    b"event: chatId",
    b'data: "nahar-alpha-cd66081b89c5cd9b0c"',
    b"",
    b"event: userMsgId",
    b"data: 33893",
    b"",
    b"event: assistantMsgId",
    b"data: 33894",
    b"",
    b"event: block",
    b'data: {"tag":"TextBlock","contents":"The largest store is located in","id":"abc123"}',
    b"",
    b"event: block ",
    (
        b'data: {"tag":"TextBlock","contents":"The largest store is located in N'
        b'ew York.","id":"abc123"}'
    ),
    b"",
    b"event: block",
    (
        b'data: {"tag":"PythonBlock","contents":"import pandas as pd\\n\\ndf = pd.'
        b'read_csv(\'stores.csv\')\\nprint(df)","id":"def456"}'
    ),
    b"",
    b"event: block",
    (
        b'data: {"tag":"PythonBlock","contents":"import pandas as pd\\n\\ndf = pd.'
        b"read_csv('stores.csv') \\nprint(df)\\n\\nlargest_store = df.sort_values('"
        b"sq_footage', ascending=False).head(1)\\nprint(f\\\"The largest store is i"
        b'n {largest_store[\'city\'].values[0]}\\")", "results":[{"tag":"TextResult'
        b'","contents":"  store_id        city  sq_footage\\n0   ST1234    New Yo'
        b"rk      150000\\n1   ST5678  Los Angeles      145000\\n2   ST3456     Ch"
        b'icago      135000\\nThe largest store is located in New York."}], "id":'
        b'"def456"}'
    ),
    b"",
    b"event: message",
    b'data: "done"',
    b"",
)

DOCS_EXAMPLE_STREAM: bytes = b"\n".join(_DOCS_LINES) + b"\n"
"""The exact stream printed under "Example response:" in the Ana API docs.

Note the trailing space after the second ``event: block `` line, kept verbatim.
"""


def docs_example_events() -> list[tuple[str, object]]:
    """Return the docs example as ``(event, decoded_payload)`` pairs (event names stripped)."""
    events: list[tuple[str, object]] = []
    for frame in DOCS_EXAMPLE_STREAM.split(b"\n\n"):
        if not frame:
            continue
        name, data = _split_frame(frame.split(b"\n"))
        events.append((name, msgspec.json.decode(data)))
    return events


def _split_frame(lines: Sequence[bytes]) -> tuple[str, bytes]:
    name = "message"
    data: list[bytes] = []
    for line in lines:
        field, _, value = line.partition(b":")
        value = value[1:] if value.startswith(b" ") else value
        if field == b"event":
            name = value.decode().strip()
        elif field == b"data":
            data.append(value)
    return name, b"\n".join(data)
