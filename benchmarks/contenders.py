"""In-memory contenders: the same bytes, already in RAM, fed in 64 KiB chunks.

Each contender takes one stream's chunks and returns its final state; :func:`outcome`
turns any of those states into a comparable :class:`Outcome` (outside the timed region).

The alternatives are given their best chance: they run synchronously (no async generator
or event loop per line), and their line sources are at least as cheap as the real ones.

- ``ours: final path`` - :class:`AnaDecoder` with ``coalesce=True``, what ``ask()``,
  ``final()``, ``snapshots()`` and ``text_deltas()`` use, then the :class:`AnaResult`.
- ``ours: every version`` - :class:`AnaDecoder` with ``coalesce=False``: every version of
  every block decoded to a Struct and handed to the consumer (plain ``async for``).
- ``ours: general path`` - :class:`SSEDecoder` + :meth:`AnaFold.feed`, event by event: the
  spec path the fast path falls back to.
- ``aiohttp-sse-client rules`` - aiohttp-sse-client's own ``EventSource.__anext__`` code (its
  line parsing and dispatch), driven over the chunks split into lines on ``b"\\n"`` as
  aiohttp's ``StreamReader`` does (more cheaply: no ``readline`` coroutine per line),
  ``json.loads`` of each event's data and :class:`DictFold`.
- ``httpx-sse decoder`` - httpx-sse's ``SSELineDecoder`` + ``SSEDecoder`` over UTF-8 text
  decoded incrementally as httpx's ``aiter_text`` does, ``json.loads`` and :class:`DictFold`.
- ``naive line split`` - the official ``textql`` SDK's approach: decode, split lines,
  ``json.loads`` every ``data: `` line, :class:`DictFold`.
- ``floor: bytes.split`` - split the bytes on blank lines and do nothing else.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from aiohttp_sse_client.client import EventSource

from textql_async._streaming import result_from_snapshot
from textql_async.models.ana import Block, decode_block
from textql_async.sansio.chunked import AnaDecoder
from textql_async.sansio.fold import AnaFold, Snapshot
from textql_async.sansio.sse import SSEDecoder

try:  # httpx-sse is in the ``bench`` extra (it needs httpx, which it does not declare)
    from httpx_sse._decoders import SSEDecoder as HttpxSSEDecoder
    from httpx_sse._decoders import SSELineDecoder as HttpxLineDecoder
except ImportError:  # pragma: no cover - only without the bench extra
    HttpxSSEDecoder = None  # type: ignore[assignment,misc]
    HttpxLineDecoder = None  # type: ignore[assignment,misc]

__all__ = [
    "CHUNK",
    "CONTENDERS",
    "FLOOR",
    "Contender",
    "DictFold",
    "Outcome",
    "chunked",
    "outcome",
]

CHUNK = 64 * 1024
Chunks = Sequence[bytes]


def chunked(data: bytes, size: int = CHUNK) -> list[bytes]:
    """``data`` cut into ``size``-byte chunks, as a socket would hand them over."""
    return [data[i : i + size] for i in range(0, len(data), size)]


# -- the plain-dict fold the alternatives use -----------------------------------------------


class DictFold:
    """Ana's replace-by-id fold over ``json.loads`` dicts: what a user of a generic SSE client
    writes. O(1) per update (a dict from id to slot), like :class:`AnaFold`."""

    __slots__ = ("assistant_msg_id", "blocks", "chat_id", "done", "index", "user_msg_id")

    def __init__(self) -> None:
        self.blocks: list[dict[str, Any]] = []
        self.index: dict[str, int] = {}
        self.chat_id: str | None = None
        self.user_msg_id: int | None = None
        self.assistant_msg_id: int | None = None
        self.done = False

    def feed(self, event: str, data: Any) -> None:
        if event == "block":
            block_id = data.get("id")
            if block_id is None:
                self.blocks.append(data)
                return
            slot = self.index.get(block_id)
            if slot is None:
                self.index[block_id] = len(self.blocks)
                self.blocks.append(data)
            else:
                self.blocks[slot] = data
        elif event == "message":
            if data == "done":
                self.done = True
        elif event == "chatId":
            self.chat_id = data
        elif event == "userMsgId":
            self.user_msg_id = int(data)
        elif event == "assistantMsgId":
            self.assistant_msg_id = int(data)
        elif event != event.strip():
            self.feed(event.strip(), data)  # Ana's docs send "event: block " sometimes


# -- comparable outcomes --------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """The final answer a contender computed, in our typed blocks (for equality checks)."""

    chat_id: str | None
    user_msg_id: int | None
    assistant_msg_id: int | None
    done: bool
    blocks: tuple[Block, ...]


def outcome(state: object) -> Outcome:
    """The :class:`Outcome` of a contender's final state (a Snapshot, AnaFold or DictFold)."""
    if isinstance(state, AnaFold):
        state = state.snapshot
    if isinstance(state, Snapshot):
        return Outcome(
            state.chat_id, state.user_msg_id, state.assistant_msg_id, state.done, state.blocks
        )
    if isinstance(state, DictFold):
        blocks = tuple(decode_block(msgspec.json.encode(b)) for b in state.blocks)
        return Outcome(state.chat_id, state.user_msg_id, state.assistant_msg_id, state.done, blocks)
    raise TypeError(f"no outcome for {type(state).__name__}")


# -- ours -----------------------------------------------------------------------------------


def ours_final(chunks: Chunks) -> Snapshot:
    """``ask()``/``final()``: AnaDecoder with ``coalesce=True``, then the AnaResult."""
    decoder = AnaDecoder()
    fold = decoder.fold
    feed = decoder.feed
    for chunk in chunks:
        feed(chunk, coalesce=True)
        if fold.done:
            break
    snapshot = fold.snapshot
    result_from_snapshot(snapshot)
    return snapshot


def ours_every_version(chunks: Chunks) -> tuple[Snapshot, int]:
    """Plain ``async for``: every version decoded to a Struct and handed to the consumer."""
    decoder = AnaDecoder()
    fold = decoder.fold
    feed = decoder.feed
    seen = 0
    for chunk in chunks:
        for _update in feed(chunk):
            seen += 1
        if fold.done:
            break
    return fold.snapshot, seen


def ours_general(chunks: Chunks) -> Snapshot:
    """The general spec path: SSEDecoder + AnaFold.feed, one event at a time."""
    sse = SSEDecoder()
    fold = AnaFold()
    apply = fold.feed
    for chunk in chunks:
        for event in sse.feed(chunk):
            apply(event.event, event.data)
            if fold.done:
                return fold.snapshot
    return fold.snapshot


# -- aiohttp-sse-client ---------------------------------------------------------------------


class _Lines:
    """Stands in for aiohttp's ``StreamReader`` as ``EventSource`` iterates it: the chunks
    split on ``b"\\n"`` only (as ``readline`` does), the newline left off (``EventSource``
    strips it anyway), a last unterminated line at the end."""

    __slots__ = ("_lines",)

    def __init__(self, chunks: Chunks) -> None:
        self._lines = self._split(chunks)

    @staticmethod
    def _split(chunks: Chunks) -> Iterator[bytes]:
        tail = b""
        for chunk in chunks:
            lines = (tail + chunk if tail else chunk).split(b"\n")
            tail = lines.pop()
            yield from lines
        if tail:
            yield tail

    def __aiter__(self) -> _Lines:
        return self

    async def __anext__(self) -> bytes:
        for line in self._lines:
            return line
        raise StopAsyncIteration


class _InMemoryResponse:
    status = 200

    def __init__(self, chunks: Chunks) -> None:
        self.content = _Lines(chunks)


class EndOfStream(Exception):
    """``EventSource`` reached the end of the body and wants to reconnect."""


def drive(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that never suspends; :class:`EndOfStream` if it tries to (to sleep
    before reconnecting, which ``EventSource`` does at the end of every stream)."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    coro.close()
    raise EndOfStream


def _end_of_stream() -> None:
    raise EndOfStream  # EventSource calls on_error at the end of the body, then reconnects


def aiohttp_sse_client_source(chunks: Chunks) -> EventSource:
    """An ``EventSource`` whose response body is ``chunks`` (no socket, no session use);
    :class:`EndOfStream` is raised where it would start reconnecting."""
    source = EventSource(
        "http://127.0.0.1/api/ana",
        session=_NO_SESSION,  # type: ignore[arg-type]
        on_error=_end_of_stream,
    )
    source._response = _InMemoryResponse(chunks)  # type: ignore[assignment]
    return source


_NO_SESSION = object()


def aiohttp_sse_client_rules(chunks: Chunks) -> DictFold:
    """aiohttp-sse-client's ``EventSource.__anext__`` + ``json.loads`` + DictFold."""
    source = aiohttp_sse_client_source(chunks)
    fold = DictFold()
    loads = json.loads
    anext = source.__anext__
    while not fold.done:
        try:
            event = drive(anext())
        except EndOfStream:
            break
        fold.feed(event.type or "message", loads(event.data))
    return fold


# -- httpx-sse ------------------------------------------------------------------------------


def httpx_sse_decoder(chunks: Chunks) -> DictFold:
    """httpx-sse's line decoder + SSEDecoder (as ``aiter_sse`` runs them) + json + DictFold."""
    if HttpxSSEDecoder is None:  # pragma: no cover
        raise RuntimeError("httpx-sse is not installed (pip install '.[bench]')")
    text = codecs.getincrementaldecoder("utf-8")(errors="replace").decode  # httpx's TextDecoder
    lines = HttpxLineDecoder()
    sse = HttpxSSEDecoder()
    decode = sse.decode
    fold = DictFold()
    loads = json.loads
    for chunk in chunks:
        for line in lines.decode(text(chunk)):
            event = decode(line.rstrip("\n"))
            if event is not None:
                fold.feed(event.event, loads(event.data))
                if fold.done:
                    return fold
    return fold


# -- the official SDK's approach ------------------------------------------------------------


def naive_line_split(chunks: Chunks) -> DictFold:
    """Decode, split lines, ``json.loads`` every ``data: `` line (the official SDK's way)."""
    text = codecs.getincrementaldecoder("utf-8")(errors="replace").decode
    fold = DictFold()
    loads = json.loads
    event = "message"
    tail = ""
    for chunk in chunks:
        lines = (tail + text(chunk)).split("\n")
        tail = lines.pop()
        for line in lines:
            if line.startswith("data: "):
                fold.feed(event, loads(line[6:]))
                if fold.done:
                    return fold
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif not line:
                event = "message"
    return fold


# -- the floor ------------------------------------------------------------------------------


def floor_split(chunks: Chunks) -> int:
    """Split on blank lines and nothing else: the floor for any framing done in Python."""
    tail = b""
    events = 0
    for chunk in chunks:
        parts = (tail + chunk).split(b"\n\n")
        tail = parts.pop()
        events += len(parts)
    return events


# -- the registry ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Contender:
    key: str
    label: str
    run: Callable[[Chunks], object]


FLOOR = "floor"
OURS_FINAL = "ours_final"
OURS_EVERY = "ours_every"
OURS_GENERAL = "ours_general"
AIOHTTP_SSE = "aiohttp_sse_client"
HTTPX_SSE = "httpx_sse"
NAIVE = "naive"

CONTENDERS: tuple[Contender, ...] = (
    Contender(OURS_FINAL, "ours: final path (ask/final, coalesce=True)", ours_final),
    Contender(OURS_EVERY, "ours: every version (async for)", ours_every_version),
    Contender(OURS_GENERAL, "ours: general path (SSEDecoder + AnaFold)", ours_general),
    Contender(AIOHTTP_SSE, "aiohttp-sse-client rules + json + fold", aiohttp_sse_client_rules),
    Contender(HTTPX_SSE, "httpx-sse decoder + json + fold", httpx_sse_decoder),
    Contender(NAIVE, "naive line split + json (official SDK)", naive_line_split),
    Contender(FLOOR, "floor: bytes.split(b'\\n\\n')", floor_split),
)
if HttpxSSEDecoder is None:  # pragma: no cover
    CONTENDERS = tuple(c for c in CONTENDERS if c.key != HTTPX_SSE)


def final_state(result: object) -> object:
    """The state part of a contender's return value (every-version returns a pair)."""
    return result[0] if isinstance(result, tuple) else result
