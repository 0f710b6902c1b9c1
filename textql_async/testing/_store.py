"""In-memory record of the chats the fake server streamed, in the docs' JSON shapes."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import msgspec

from textql_async.testing._frames import ScriptEvent, render_script

__all__ = [
    "HISTORY_MODES",
    "ChatStore",
    "StoredChat",
    "StreamRecorder",
    "final_blocks",
    "iso_timestamp",
    "parse_raw_events",
]


HISTORY_MODES = ("live", "lagging", "partial", "flaky")
"""How ``GET /api/ana/{chat_id}`` shows an answer Ana still works on after a cut (``history=``).

- ``"live"``: the partial assistant message (every block as far as Ana had produced it
  when the stream was cut), then the finished one once ``answer_completes_after`` elapsed;
- ``"lagging"``: the history trails the stream: no assistant message in the first half of
  the working time, then one with fewer blocks than were streamed, then the finished one;
- ``"partial"``: the partial assistant message forever (Ana never finishes);
- ``"flaky"``: like ``"live"``, but every other read (the first included) fails with 503.
"""


def check_history_mode(mode: str) -> str:
    """Return ``mode`` if it is one of :data:`HISTORY_MODES`, else raise ``ValueError``."""
    if mode not in HISTORY_MODES:
        raise ValueError(f"history must be one of {', '.join(map(repr, HISTORY_MODES))}, got {mode!r}")
    return mode


def iso_timestamp(when: datetime | None = None) -> str:
    """Return ``when`` (default: now) as ISO 8601 UTC with milliseconds and ``Z``."""
    when = (when or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def parse_raw_events(raw: bytes) -> list[tuple[str, object]]:
    """Leniently decode complete SSE frames in ``raw`` into ``(event, json_payload)`` pairs.

    Frames whose data is not JSON are skipped; event names are stripped of whitespace;
    invalid UTF-8 becomes U+FFFD, as an SSE client decodes it.
    """
    events: list[tuple[str, object]] = []
    text = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    for frame in text.split(b"\n\n"):
        name, data = "message", []
        for line in frame.split(b"\n"):
            key, _, value = line.partition(b":")
            value = value[1:] if value.startswith(b" ") else value
            if key == b"event":
                name = value.decode(errors="replace").strip()
            elif key == b"data":
                data.append(value)
        if not data:
            continue
        payload = b"\n".join(data).decode("utf-8", "replace")
        try:
            events.append((name, msgspec.json.decode(payload)))
        except msgspec.DecodeError:
            continue
    return events


def final_blocks(script: Sequence[ScriptEvent]) -> list[dict[str, Any]]:
    """Return the blocks a complete answer to ``script`` ends with, as JSON objects.

    The final version of each block id, in first-appearance order: what the chat history
    holds once Ana finished, and what a client that folded the whole stream shows.
    """
    chat = StoredChat("", "", "", 0, 0, "")
    for name, payload in parse_raw_events(render_script(script)):
        chat.apply(name, payload)
    return list(chat.blocks.values())


@dataclass
class StoredChat:
    """One chat served by the fake: the question plus the folded assistant blocks."""

    chat_id: str
    question: str
    member_id: str
    user_msg_id: int
    assistant_msg_id: int
    question_block_id: str
    timestamp: str = field(default_factory=iso_timestamp)
    blocks: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Final version of each block, keyed by id, in first-appearance order."""
    completes_at: float | None = None
    """``time.monotonic()`` at which a cut answer lands in the history (see :meth:`complete_at`)."""
    history: str = "live"
    """How the history shows the answer while Ana works on it after a cut (:data:`HISTORY_MODES`)."""
    scheduled_at: float | None = None
    """``time.monotonic()`` at which the completion was scheduled (start of Ana's working time)."""
    reads: int = 0
    """How many times the history of this chat was read."""
    _script: Sequence[ScriptEvent] | None = field(default=None, repr=False)
    _versions: list[tuple[str, dict[str, Any]]] = field(default_factory=list, repr=False)

    @property
    def completing(self) -> bool:
        """Whether the complete answer was scheduled (the stream no longer updates the chat)."""
        return self._script is not None or self.completes_at is not None

    @property
    def pending(self) -> bool:
        """Whether Ana still works on a cut answer (the history shows it partial, or not yet)."""
        return self._script is not None

    @property
    def recording(self) -> bool:
        """Whether streamed events still change the chat (until a scheduled completion landed)."""
        return self.completes_at is None or self._script is not None

    def complete_at(self, script: Sequence[ScriptEvent], when: float) -> None:
        """Record that Ana finishes ``script`` server-side at monotonic time ``when``.

        This is what happens when a client's stream is cut: the answer is still written
        to the chat. Until ``when`` the history shows the answer as far as it was streamed
        (as :attr:`history` says); from then on the assistant message holds the final
        version of every block in ``script``. With ``history="partial"`` it never lands.
        """
        if self.completing:
            return
        self._script = list(script)
        self.completes_at = when
        self.scheduled_at = time.monotonic()
        for name, payload in parse_raw_events(render_script(self._script)):
            if name != "block":  # the chat id and message ids are known at once
                self.apply(name, payload)
        self.settle()

    def settle(self, now: float | None = None) -> None:
        """Apply a scheduled completion whose time has come."""
        if self._script is None or self.completes_at is None or self.history == "partial":
            return
        if (time.monotonic() if now is None else now) < self.completes_at:
            return
        script, self._script = self._script, None
        self.blocks = {}
        self._versions = []
        for name, payload in parse_raw_events(render_script(script)):
            self.apply(name, payload)
        self._versions = []  # only the streamed versions matter, and only while pending

    def apply(self, event: str, payload: object) -> None:
        """Fold one streamed event into this chat (replace-by-id for blocks)."""
        if event == "chatId" and isinstance(payload, str):
            self.chat_id = payload
        elif event == "userMsgId" and isinstance(payload, int):
            self.user_msg_id = payload
        elif event == "assistantMsgId" and isinstance(payload, int):
            self.assistant_msg_id = payload
        elif event == "block":
            block = msgspec.to_builtins(payload)
            if isinstance(block, dict):
                key = block.get("id")
                slot = str(key) if key is not None else f"\x00{len(self.blocks)}"
                self.blocks[slot] = block
                if self.history == "lagging" and self.recording:
                    self._versions.append((slot, block))

    def summary_json(self, org_id: str) -> dict[str, Any]:
        """Return this chat as a ``GET /api/ana/chat/summary`` item."""
        return {
            "innerId": self.chat_id,
            "innerVal": {
                "id": self.chat_id,
                "orgId": org_id,
                "engine": "{}",
                "summary": self.question[:80],
                "lastUserMessage": {"timestamp": self.timestamp},
            },
        }

    def messages_json(self) -> list[dict[str, Any]]:
        """Return this chat as a ``GET /api/ana/{chat_id}`` message list."""
        question = {"tag": "TextBlock", "contents": self.question, "id": self.question_block_id}
        user = {"tag": "User", "name": "Fake User", "contents": self.member_id}
        self.settle()
        body: list[dict[str, Any]] | None = list(self.blocks.values())
        if self.pending and self.history == "lagging":
            body = self._lagging_body(time.monotonic())
        elif self.pending and not body:
            body = None  # Ana produced nothing yet: no assistant message
        messages = [self._message(self.user_msg_id, user, [question], 0)]
        if body is not None:
            messages.append(self._message(self.assistant_msg_id, {"tag": "Assistant"}, body, 1))
        return messages

    def fails_read(self) -> bool:
        """Count one history read; true when it must fail (``history="flaky"``: every other)."""
        self.reads += 1
        return self.history == "flaky" and self.reads % 2 == 1

    def _lagging_body(self, now: float) -> list[dict[str, Any]] | None:
        """The older copy a lagging history shows: nothing, then fewer blocks than streamed."""
        start = self.scheduled_at if self.scheduled_at is not None else now
        end = self.completes_at if self.completes_at is not None else now
        if now < start + (end - start) / 2:
            return None
        seen: set[str] = set()
        last_new = 0  # the versions before the last block's first one: one block fewer
        for i, (slot, _) in enumerate(self._versions):
            if slot not in seen:
                seen.add(slot)
                last_new = i
        older: dict[str, dict[str, Any]] = {}
        for slot, block in self._versions[:last_new]:
            older[slot] = block
        return list(older.values()) or None

    def _message(
        self, inner_id: int, author: dict[str, Any], body: list[dict[str, Any]], idx: int
    ) -> dict[str, Any]:
        inner_val = {
            "author": author,
            "chatId": self.chat_id,
            "timestamp": self.timestamp,
            "body": body,
            "messageIdx": idx,
        }
        return {"innerId": inner_id, "innerVal": inner_val}


class ChatStore:
    """Chats keyed by id (a re-used chat id replaces the older chat)."""

    def __init__(self, org_id: str = "organization-fake-00000000") -> None:
        """Create an empty store for the organization ``org_id``."""
        self.org_id = org_id
        self._chats: dict[str, StoredChat] = {}
        self._keys: dict[int, str] = {}  # id(chat) -> its key in _chats, for O(1) re-keying
        self._pending: dict[int, StoredChat] = {}  # chats whose completion is scheduled
        self._next_msg_id = 33893

    def new_message_ids(self) -> tuple[int, int]:
        """Allocate a ``(user_msg_id, assistant_msg_id)`` pair."""
        user = self._next_msg_id
        self._next_msg_id += 2
        return user, user + 1

    def save(self, chat: StoredChat) -> None:
        """Store (or re-key) ``chat`` under its current ``chat_id``."""
        old = self._keys.get(id(chat))
        if old is not None and old != chat.chat_id and self._chats.get(old) is chat:
            del self._chats[old]
        replaced = self._chats.get(chat.chat_id)
        if replaced is not None and replaced is not chat:
            self._keys.pop(id(replaced), None)
            self._pending.pop(id(replaced), None)
        self._chats[chat.chat_id] = chat
        self._keys[id(chat)] = chat.chat_id

    def complete_at(self, chat: StoredChat, script: Sequence[ScriptEvent], when: float) -> None:
        """Schedule ``chat`` to hold the complete ``script`` answer from ``when`` on.

        See :meth:`StoredChat.complete_at`; a due completion is applied on the next read.
        """
        chat.complete_at(script, when)
        if chat.pending:
            self._pending[id(chat)] = chat
        self.save(chat)

    def discard(self, chat_id: str) -> None:
        """Forget the chat ``chat_id`` (if stored), e.g. to keep a long soak run's memory flat."""
        chat = self._chats.pop(chat_id, None)
        if chat is not None:
            self._keys.pop(id(chat), None)
            self._pending.pop(id(chat), None)

    def get(self, chat_id: str) -> StoredChat | None:
        """Return the chat with ``chat_id`` or ``None`` (applying a completion that is due)."""
        self._settle()
        return self._chats.get(chat_id)

    def _settle(self) -> None:
        """Apply due completions; a completed script may carry a new chat id (re-key)."""
        if not self._pending:
            return
        now = time.monotonic()
        for key, chat in list(self._pending.items()):
            chat.settle(now)
            if not chat.pending:
                del self._pending[key]
                self.save(chat)

    def __len__(self) -> int:
        """Return the number of stored chats."""
        return len(self._chats)

    def all(self) -> list[StoredChat]:
        """Return the stored chats, newest first."""
        self._settle()
        return list(reversed(self._chats.values()))

    def summaries_json(self) -> list[dict[str, Any]]:
        """Return the ``GET /api/ana/chat/summary`` body."""
        return [chat.summary_json(self.org_id) for chat in self.all()]


class StreamRecorder:
    """Folds each event a stream actually wrote into its chat (the ``on_event`` callback).

    Raw ``bytes`` items are buffered until a frame is complete. Once a scheduled complete
    answer landed (:meth:`StoredChat.complete_at`), streamed events no longer change the chat.
    """

    def __init__(self, store: ChatStore, chat: StoredChat) -> None:
        """Record into ``chat``, re-keying it in ``store`` when its chat id changes."""
        self.store = store
        self.chat = chat
        self.written = 0
        """How many script items were fully written to the client."""
        self._pending = bytearray()

    def __call__(self, item: ScriptEvent) -> None:
        """Record one fully written script item."""
        self.written += 1
        if not self.chat.recording:
            return
        if isinstance(item, bytes):
            self._pending.extend(item)
            cut = self._pending.rfind(b"\n\n")
            if cut < 0:
                return
            events = parse_raw_events(bytes(self._pending[: cut + 2]))
            del self._pending[: cut + 2]
        else:
            events = [item]
        for name, payload in events:
            self.chat.apply(name, payload)
        self.store.save(self.chat)
