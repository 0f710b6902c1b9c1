"""Chunk-at-a-time Ana decoding: the spec-compliant path, plus a fast path for plain chunks.

At tens of thousands of events per answer, per-event Python work is the cost
that matters. Most of an Ana stream is a run of events of exactly one shape,
``event: block\\ndata: <json>\\n\\n``. For a run of complete events of that shape
(verified with C-level ``bytes`` operations), the block payloads are handed to
msgspec in ONE call per chunk, as JSON lines. Ana's plain two-line metadata
events (``chatId``, ``userMsgId``, ``assistantMsgId``, ``done``) are read with a
few ``bytes`` operations. Anything else (CR line endings, comments, multi-line
data, other event names, a malformed or unknown block) goes through
:class:`SSEDecoder` and :meth:`AnaFold.feed` event by event, so both paths give
exactly the same results (a property test feeds both the same streams, in any
chunking down to single bytes). The cost is linear in the bytes whatever the
chunking: a partial event waits in a ``bytearray`` and only new bytes are scanned.

With ``coalesce=True`` only the newest version of each block id in a chunk is
decoded into a Struct: a consumer slower than the network does not pay for
versions it never sees. The older ones are still read as JSON (a syntax error
raises, as on the general path) but their fields are not type-checked: a skipped
version with, say, a number for ``contents`` is not an error on this path.
"""

from __future__ import annotations

from typing import Any

import msgspec

from textql_async._exceptions import EventTooLargeError, StreamError
from textql_async.models.ana import (
    Block,
    ErrorBlock,
    OntologyBlock,
    OntologyContents,
    PythonBlock,
    PythonResult,
    TextBlock,
    _FastBlock,
    _KnownResult,
    _PythonBlockWire,
)
from textql_async.sansio.fold import AnaFold, BlockUpdate
from textql_async.sansio.sse import DEFAULT_MAX_EVENT_SIZE, SSEDecoder

__all__ = ["AnaDecoder"]

_PREFIX = b"event: block\ndata: "
_SEPARATOR = b"\n\n" + _PREFIX  # one event's end and the next event's start
_LF = 0x0A
_BLANK = b" \t\r"  # JSON whitespace a line may start with (LF ends it)
_BOM_FIRST = 0xEF  # the first byte of a UTF-8 byte order mark
# metadata event names read without the SSE decoder when their event has the plain shape
_PLAIN_NAMES = {name.encode(): name for name in ("chatId", "userMsgId", "assistantMsgId", "message")}
_MAX_TAIL = 64 * 1024  # a partial event longer than this is buffered by the SSE decoder


_NULL = msgspec.Raw(b"null")


class _LazyBlock(msgspec.Struct, gc=False):
    """A block with its payload fields left undecoded (zero-copy views into the chunk)."""

    tag: str | None = None
    id: str | None = None
    contents: msgspec.Raw = _NULL
    results: msgspec.Raw = _NULL
    tool_call_id: str | None = None


_LAZY_TAGS = frozenset({"TextBlock", "PythonBlock", "OntologyBlock", "ErrorBlock"})
_full_lines = msgspec.json.Decoder(_FastBlock)
_lazy_lines = msgspec.json.Decoder(_LazyBlock)
_str = msgspec.json.Decoder(str | None)
_results = msgspec.json.Decoder(list[_KnownResult] | None)
_ontology = msgspec.json.Decoder(OntologyContents | None)


class AnaDecoder:
    """Bytes in, block updates out: an :class:`SSEDecoder` and an :class:`AnaFold` in one.

    :meth:`feed` returns the :class:`BlockUpdate` s a chunk completed; the
    fold's :attr:`~AnaFold.snapshot` is the state. Stops at Ana's ``done``
    message: later bytes are ignored.
    """

    __slots__ = (
        "_fast",
        "_fold",
        "_max",
        "_sse",
        "_tail",
        "_tail_limit",
        "fast_chunks",
        "slow_chunks",
    )

    def __init__(self, fold: AnaFold | None = None, max_event_size: int = DEFAULT_MAX_EVENT_SIZE):
        self._fold = fold if fold is not None else AnaFold()
        self._sse = SSEDecoder(max_event_size)
        self._max = max_event_size
        self._tail_limit = min(_MAX_TAIL, max_event_size)
        self._tail = bytearray()  # fast mode: the bytes after the last complete event
        self._fast = False  # the SSE decoder is idle at an event boundary and we hold the tail
        #: how many chunks (regions) took the fast path and the general path (for benchmarks)
        self.fast_chunks = 0
        self.slow_chunks = 0

    @property
    def fold(self) -> AnaFold:
        """The fold holding the answer so far."""
        return self._fold

    @property
    def pending(self) -> bool:
        """Whether an unfinished event is buffered (the stream would be truncated if it ended now)."""
        return bool(self._tail) or self._sse.pending

    def close(self) -> None:
        """End of stream: an unterminated last event is discarded, as the SSE spec says."""
        self._tail = bytearray()
        self._sse.close()

    def feed(self, chunk: bytes, *, coalesce: bool = False) -> list[BlockUpdate]:
        """Decode ``chunk``; return the block updates it completed (newest only if ``coalesce``).

        A malformed event raises :class:`StreamError`; the updates the chunk completed
        before it are in the error's ``updates`` (and its ``snapshot``), never lost.
        """
        if self._fold.done or not chunk:
            return []
        if not self._fast:
            return self._enter_fast(chunk, coalesce)
        tail = self._tail
        if chunk.find(b"\r") >= 0:  # (faster than ``in`` for bytes)
            # CR line endings need the pending-CR rules: hand everything to the SSE decoder.
            self._tail = bytearray()
            self._fast = False
            return self._slow(bytes(tail) + chunk if tail else chunk, coalesce)
        # Only the new chunk is scanned (and the one byte before it): with small chunks a
        # rescan of the buffered tail per feed would be quadratic in an event's size.
        end = chunk.rfind(b"\n\n")
        if end < 0:
            if tail and tail[-1] == _LF and chunk[0] == _LF:
                end = -1  # the blank line straddles the two chunks
            else:
                tail += chunk  # amortized O(len(chunk)): a bytearray grows in place
                if len(tail) > self._tail_limit:
                    # a big event arriving in pieces: the SSE decoder buffers it in linear
                    # time (and enforces max_event_size); _enter_fast resumes at a boundary
                    self._tail = bytearray()
                    self._fast = False
                    return self._slow(bytes(tail), coalesce)
                return []
        end += 2
        if tail:
            region = bytes(tail) + chunk[:end]
            self._tail = bytearray(chunk[end:])
            end = len(region)
        else:
            region = chunk  # the region is chunk[:end]: not copied out of the chunk
            if end < len(chunk):
                self._tail = bytearray(chunk[end:])
        if end > self._max:
            return self._slow(region[:end], coalesce)
        return self._region(region, end, coalesce)

    def _region(self, data: bytes, end: int, coalesce: bool) -> list[BlockUpdate]:
        """Complete events (``data[:end]``): plain block events in one msgspec call, the
        others one by one.

        Ana's metadata (first), a keep-alive comment and the ``done`` message (last) take
        the general path alone; the plain block events around them keep the fast path.
        """
        if not data.startswith(_PREFIX, 0, end):
            cut = data.find(_SEPARATOR, 0, end) + 2  # where the first plain block event starts
            if cut < 2:
                return self._general(data[:end], coalesce)
            head = self._general(data[:cut], coalesce)
            if self._fold.done:
                return head
            try:
                rest = self._region(data[cut:end], end - cut, coalesce)
            except StreamError as exc:
                _carry(exc, head, coalesce)
                raise
            return _join(head, rest, coalesce)
        last = data.rfind(b"\n\n", 0, end - 2) + 2  # where the last event starts
        if last >= 2 and not data.startswith(_PREFIX, last, end):
            fast = self._fast_region(data, last, coalesce)
            if fast is None:
                return self._slow(data[:end], coalesce)
            self.fast_chunks += 1
            try:
                rest = self._general(data[last:end], coalesce)
            except StreamError as exc:
                _carry(exc, fast, coalesce)
                raise
            return _join(fast, rest, coalesce)
        fast = self._fast_region(data, end, coalesce)
        if fast is None:
            return self._slow(data[:end], coalesce)
        self.fast_chunks += 1
        return fast

    def _enter_fast(self, chunk: bytes, coalesce: bool) -> list[BlockUpdate]:
        """General path up to the first event boundary of ``chunk``; fast mode after it."""
        sse = self._sse
        if not sse._started and not sse._head and chunk[0] != _BOM_FIRST:
            sse._started = True  # no byte order mark can follow: nothing to strip
        if sse._started and not sse.pending and not sse._pending_cr:
            self._fast = True  # the SSE decoder is idle at an event boundary
            return self.feed(chunk, coalesce=coalesce)
        split = -1
        if not sse._pending_cr and b"\r" not in chunk:
            split = chunk.find(b"\n\n")
        if split < 0:
            updates = self._slow(chunk, coalesce)
            if sse._started and not sse.pending and not sse._pending_cr:
                self._fast = True  # the chunk ended exactly at an event boundary
            return updates
        split += 2
        updates = self._slow(chunk[:split], coalesce)
        if sse.pending or self._fold.done:
            return updates
        self._fast = True
        if split == len(chunk):
            return updates
        try:
            more = self.feed(chunk[split:], coalesce=coalesce)
        except StreamError as exc:
            _carry(exc, updates, coalesce)
            raise
        if not updates:
            return more
        updates += more
        return _newest_per_slot(updates) if coalesce else updates

    def _general(self, region: bytes, coalesce: bool) -> list[BlockUpdate]:
        """Complete events that are not plain block events (fast mode: LF only, the SSE
        decoder idle at an event boundary).

        Plain two-line metadata events (``event: chatId\\ndata: ...``: Ana's first three and
        its ``done``) are read with a few ``bytes`` operations, as the SSE decoder would
        read them: no ``id``, ``retry`` or other field, one data line, so its state does not
        change. The first event of any other shape and everything after it go through it.
        """
        fold = self._fold
        updates: list[BlockUpdate] = []
        pos = 0
        size = len(region)
        try:
            while pos < size and region.startswith(b"event: ", pos):
                line_end = region.find(b"\n", pos + 7)
                name = _PLAIN_NAMES.get(region[pos + 7 : line_end])
                if name is None or not region.startswith(b"data: ", line_end + 1):
                    break
                end = region.find(b"\n", line_end + 7)
                if end < 0 or not region.startswith(b"\n\n", end):
                    break
                update = fold.feed(name, region[line_end + 7 : end].decode("utf-8", "replace"))
                pos = end + 2
                if update is not None:
                    updates.append(update)
                elif fold.done:
                    self._tail = bytearray()
                    return updates
            if pos == size:
                return _newest_per_slot(updates) if coalesce and len(updates) > 1 else updates
            rest = self._slow(region[pos:] if pos else region, coalesce)
        except StreamError as exc:
            _carry(exc, updates, coalesce)
            raise
        return _join(updates, rest, coalesce)

    # -- the general path ---------------------------------------------------------------------

    def _slow(self, data: bytes, coalesce: bool) -> list[BlockUpdate]:
        self.slow_chunks += 1
        fold = self._fold
        updates: list[BlockUpdate] = []
        try:
            try:
                events = self._sse.feed(data)
            except EventTooLargeError as exc:
                for event in exc.events:  # keep what came before the oversized event
                    update = fold.feed(event.event, event.data)
                    if update is not None:
                        updates.append(update)
                    elif fold.done:
                        break
                if not fold.done:
                    exc.snapshot = fold.snapshot
                    raise
                self._tail = bytearray()  # the answer ended before it: later bytes are ignored
                events = []
            for event in events:
                update = fold.feed(event.event, event.data)
                if update is not None:
                    updates.append(update)
                elif fold.done:
                    self._tail = bytearray()
                    break
        except StreamError as exc:
            _carry(exc, updates, coalesce)
            raise
        return _newest_per_slot(updates) if coalesce and len(updates) > 1 else updates

    # -- the fast path ------------------------------------------------------------------------

    def _fast_region(self, data: bytes, end: int, coalesce: bool) -> list[BlockUpdate] | None:
        """Decode a run of plain block events (``data[:end]``) in one msgspec call; ``None``
        if it is not one."""
        if coalesce:
            scanned = _plain_runs(data, end)
            if scanned is not None:  # the compiled core: every version checked in C
                runs, events = scanned
                return self._apply_runs(data, runs) if events else None
        payload, events = _plain_payload(data, end)
        if not events:
            return None
        try:
            blocks: list[Any] = (_lazy_lines if coalesce else _full_lines).decode_lines(payload)
        except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError):
            return None  # malformed, unknown or not UTF-8: the general path handles it exactly
        if len(blocks) != events:
            return None  # some data value spanned lines or held two values: not plain
        if coalesce:
            return self._apply_lazy(blocks)
        apply = self._fold.apply_block
        updates = []
        for block in blocks:
            if type(block) is _PythonBlockWire:
                block = _python_block(block)
            updates.append(apply(block))
        return updates

    def _apply_runs(self, data: bytes, runs: list[tuple[bytes, int, int]]) -> list[BlockUpdate] | None:
        """Decode only the newest version of each id (every version was checked by the scan)."""
        # key order = first appearance in the region; the value: the newest version's span
        newest = {key: (start, stop) for key, start, stop in runs}
        payload = b"\n".join([data[start:stop] for start, stop in newest.values()])
        try:
            lazies: list[_LazyBlock] = _lazy_lines.decode_lines(payload)
        except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError):
            return None
        if len(lazies) != len(newest):
            return None
        return self._apply_lazy(lazies)

    def _apply_lazy(self, lazies: list[_LazyBlock]) -> list[BlockUpdate] | None:
        # key order = first appearance in the chunk; the value: the newest version. A block's
        # versions come in runs: one dict write per run, not one hash and write per version
        newest: dict[str | None, _LazyBlock] = {}
        run = lazies[0]
        for lazy in lazies:
            if lazy.id != run.id:
                newest[run.id] = run
            run = lazy
        newest[run.id] = run
        if None in newest:
            return None  # id-less blocks each need a slot of their own
        for lazy in newest.values():
            if lazy.tag not in _LAZY_TAGS:
                return None  # unknown tags keep their raw object: the general path
        try:
            blocks = [_materialize(lazy) for lazy in newest.values()]
        except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError):
            return None
        apply = self._fold.apply_block
        return [apply(block) for block in blocks]


def _plain_payload(data: bytes, end: int) -> tuple[bytes, int]:
    """The data values of a run of plain block events (``data[:end]``, starting with
    ``_PREFIX``), one per line, and how many events the run holds; ``(b"", 0)`` if the
    run is not plain.

    Plain: the region ends with a blank line and every event is exactly one non-blank
    ``data`` line. Then msgspec's ``decode_lines`` gives one value per event if and only
    if each line holds one JSON value - it skips blank lines, so an event with two values
    on one line (or an extra line) next to an empty one would otherwise pass the count.

    The compiled core replaces this function with its C copy (``_frame.c``: memchr
    instead of a 21-byte substring search, and no copy of the region); a property test
    checks both agree.
    """
    region = data if end == len(data) else data[:end]
    if not region.endswith(b"\n\n"):
        return b"", 0
    values = region.split(_SEPARATOR)
    values[0] = values[0][len(_PREFIX) :]
    values[-1] = values[-1][:-2]
    for value in values:
        if not value or value[0] in _BLANK or _LF in value:
            return b"", 0  # empty, starting blank (maybe blank), or more than one line
    return b"\n".join(values), len(values)


def _plain_runs(data: bytes, end: int) -> tuple[list[tuple[bytes, int, int]], int] | None:
    """The final path's scan of a run of plain block events (``data[:end]``); ``None`` here.

    The compiled core replaces this function with its C copy (``_frame.c``), which frames
    the run and checks every version in one pass (JSON syntax, UTF-8, and the fields
    ``_LazyBlock`` types), returning per run of versions of one id ``(id, start, stop)``
    of its last version's value, and the event count; ``([], 0)`` if the run is not plain
    or any version is not certainly valid. Then msgspec decodes only the newest version of
    each id. Pure Python has no scan faster than msgspec decoding every version, so this
    core returns ``None`` and :meth:`AnaDecoder._fast_region` does just that.
    """
    return None


def _python_block(wire: _PythonBlockWire) -> PythonBlock:
    results: list[PythonResult] | None = None if wire.results is None else [*wire.results]
    return PythonBlock(wire.id, wire.contents, results)


def _materialize(lazy: _LazyBlock) -> Block:
    """The typed block of a lazy one; decoding the fields as the full decoder would."""
    tag = lazy.tag
    if tag == "OntologyBlock":
        return OntologyBlock(lazy.id, _ontology.decode(lazy.contents), lazy.tool_call_id)
    contents = _str.decode(lazy.contents)
    if contents is None:
        if lazy.contents is not _NULL:
            raise msgspec.ValidationError("contents is null")  # the full decoder rejects it
        contents = ""
    if tag == "TextBlock":
        return TextBlock(lazy.id, contents)
    if tag == "PythonBlock":
        results = _results.decode(lazy.results)
        return PythonBlock(lazy.id, contents, None if results is None else [*results])
    return ErrorBlock(contents, lazy.id)


def _carry(exc: StreamError, before: list[BlockUpdate], coalesce: bool) -> None:
    """Put ``before`` (updates the chunk completed ahead of the failure) in ``exc.updates``."""
    if before:
        updates = before + exc.updates
        exc.updates = _newest_per_slot(updates) if coalesce and len(updates) > 1 else updates


def _join(first: list[BlockUpdate], then: list[BlockUpdate], coalesce: bool) -> list[BlockUpdate]:
    if not first:
        return then
    if not then:
        return first
    first += then
    return _newest_per_slot(first) if coalesce else first


def _newest_per_slot(updates: list[BlockUpdate]) -> list[BlockUpdate]:
    """Keep the last update of each slot, in the order the slots were first updated."""
    newest: dict[int, BlockUpdate] = {}
    for update in updates:
        if update.index in newest and update.is_new is False:
            previous = newest[update.index]
            update = BlockUpdate(update.index, update.block, previous.is_new)
        newest[update.index] = update
    return list(newest.values())
