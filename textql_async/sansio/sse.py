"""Incremental Server-Sent Events decoder: bytes in, events out, no I/O.

Follows the WHATWG event-stream parsing rules, with one tolerance Ana's own
docs need: an event name with trailing whitespace (``event: block ``) is the
same event as ``block``.

Cost is linear in the bytes fed, whatever the chunking: each chunk is scanned
once for line endings (in C, by ``bytes.rfind`` and ``bytes.splitlines``), a
partial line waits in a ``bytearray``, and UTF-8 is decoded once per event.
"""

from __future__ import annotations

import msgspec

from textql_async._exceptions import EventTooLargeError

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "SSEDecoder", "ServerSentEvent"]

DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024
"""The largest event ``SSEDecoder`` buffers by default (16 MiB); past it, ``EventTooLargeError``, so a runaway stream cannot exhaust memory."""
_BOM = b"\xef\xbb\xbf"
_LF = 0x0A
_CR = 0x0D
_COLON = 0x3A
_SPACE = 0x20
_LINE_SLACK = 16


class ServerSentEvent(msgspec.Struct, frozen=True, gc=False):
    """One dispatched event.

    ``id`` is the stream's last event id when the event was dispatched (it
    persists across events, as the spec says); ``None`` until any ``id`` field
    was seen. ``retry`` is the stream's reconnection time (ms) when the event was
    dispatched: stream state set by the last valid ``retry`` field, in this block or
    an earlier one (even one without data); ``None`` until any was seen.
    """

    event: str = "message"
    data: str = ""
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Feed bytes in any chunking with :meth:`feed`; get complete events back.

    ``max_event_size`` bounds the bytes one event may buffer (its data plus the
    line being read): past it :class:`~textql_async.EventTooLargeError` is raised
    instead of growing without bound.
    """

    __slots__ = (
        "_data",
        "_data_size",
        "_event",
        "_head",
        "_id_buffer",
        "_last_id",
        "_line",
        "_max",
        "_names",
        "_pending_cr",
        "_retry",
        "_started",
    )

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        if max_event_size <= 0:
            raise ValueError("max_event_size must be positive")
        self._max = max_event_size
        self._line = bytearray()  # a partial line carried to the next chunk
        self._pending_cr = False  # last chunk ended in CR: a leading LF belongs to it
        self._started = False  # the BOM check is done
        self._head = b""  # first bytes held back while a split BOM may be arriving
        self._data: list[bytes] = []
        self._data_size = 0
        self._event: bytes = b""
        self._retry: int | None = None  # the reconnection time: stream state, never reset
        self._id_buffer: str | None = None  # the spec's "last event ID buffer"
        self._last_id: str | None = None  # its "last event ID string": set at each blank line
        self._names: dict[bytes, str] = {}  # cache of decoded event names

    @property
    def last_event_id(self) -> str:
        """The last event id the stream set ("" when none), for a ``Last-Event-ID`` header.

        As the spec says, an ``id`` counts only once its block ended (its blank line
        arrived): an event cut off by the end of the stream does not move it, so a client
        resuming from it does not skip the lost event.
        """
        return self._last_id or ""

    @property
    def retry(self) -> int | None:
        """The reconnection time in ms the stream set last (``None`` when it set none).

        Stream state, as the spec says: a ``retry`` field applies at once and is kept
        across blocks, also when its block carries no data.
        """
        return self._retry

    @property
    def pending(self) -> bool:
        """Whether bytes of an unfinished event are buffered (a truncated stream if it ends now)."""
        return bool(self._line or self._data or self._event or self._head)

    def feed(self, chunk: bytes | bytearray | memoryview) -> list[ServerSentEvent]:
        """Consume ``chunk`` and return the events it completed, in order."""
        if not chunk:
            return []
        data = bytes(chunk)
        if not self._started:
            data = self._head + data
            if len(data) < len(_BOM) and _BOM.startswith(data):
                self._head = data
                return []
            self._head = b""
            self._started = True
            if data.startswith(_BOM):
                data = data[len(_BOM) :]
                if not data:
                    return []
        if self._pending_cr:
            self._pending_cr = False
            if data[0] == _LF:
                data = data[1:]
                if not data:
                    return []
        end = max(data.rfind(b"\n"), data.rfind(b"\r"))
        if end < 0:
            self._line += data
            self._check_size(len(self._line))
            return []
        if data[end] == _CR and end == len(data) - 1:
            self._pending_cr = True
        if self._line:
            self._line += data[: end + 1]
            complete = bytes(self._line)
            self._line = bytearray(data[end + 1 :])
        else:
            complete = data[: end + 1] if end + 1 < len(data) else data
            self._line = bytearray(data[end + 1 :])
        events = self._process_lines(complete.splitlines())
        if self._line:
            self._check_size(len(self._line))
        return events

    def close(self) -> list[ServerSentEvent]:
        """End of stream. An unterminated last event is discarded, as the spec says."""
        self._line = bytearray()
        self._data = []
        self._data_size = 0
        self._event = b""
        self._id_buffer = self._last_id  # an id in the discarded event never counted
        self._pending_cr = False
        self._head = b""
        return []

    def _check_size(self, line_size: int) -> None:
        # a partial line still holds its field name ("data: "): allow for it
        slack = _LINE_SLACK if line_size else 0
        if self._data_size + line_size > self._max + slack:
            size = self._data_size + line_size
            self.close()
            raise EventTooLargeError(
                f"a server-sent event exceeded {self._max} bytes ({size} buffered)",
                limit=self._max,
            )

    def _process_lines(self, lines: list[bytes]) -> list[ServerSentEvent]:
        events: list[ServerSentEvent] = []
        for line in lines:
            if not line:
                self._last_id = self._id_buffer  # the spec's dispatch step 1, data or not
                if self._data:
                    events.append(self._dispatch())
                else:
                    self._event = b""
                continue
            colon = line.find(b":")
            if colon == 0:
                continue  # comment
            if colon < 0:
                field, value = line, b""
            else:
                field = line[:colon]
                if len(line) > colon + 1 and line[colon + 1] == _SPACE:
                    value = line[colon + 2 :]
                else:
                    value = line[colon + 1 :]
            if field == b"data":
                self._data_size += len(value) + (1 if self._data else 0)
                self._data.append(value)
                if self._data_size > self._max:
                    try:
                        self._check_size(0)
                    except EventTooLargeError as exc:
                        exc.events = events  # the events before it in this chunk are not lost
                        raise
            elif field == b"event":
                self._event = value
            elif field == b"id":
                if b"\x00" not in value:
                    self._id_buffer = value.decode("utf-8", "replace")
            elif field == b"retry":
                if value.isdigit():
                    self._retry = int(value)
            # any other field is ignored, as the spec says
        return events

    def _dispatch(self) -> ServerSentEvent:
        data = self._data
        payload = data[0] if len(data) == 1 else b"\n".join(data)
        event = ServerSentEvent(
            self._event_name(self._event),
            payload.decode("utf-8", "replace"),
            self._last_id,
            self._retry,
        )
        self._data = []
        self._data_size = 0
        self._event = b""
        return event

    def _event_name(self, raw: bytes) -> str:
        name = self._names.get(raw)
        if name is None:
            name = raw.decode("utf-8", "replace").rstrip() or "message"
            if len(self._names) < 64:
                self._names[raw] = name
        return name
