"""In-memory record of the chats the fake server streamed, in the docs' JSON shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import msgspec

__all__ = ["ChatStore", "StoredChat", "iso_timestamp", "parse_raw_events"]


def iso_timestamp(when: datetime | None = None) -> str:
    """Return ``when`` (default: now) as ISO 8601 UTC with milliseconds and ``Z``."""
    when = (when or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def parse_raw_events(raw: bytes) -> list[tuple[str, object]]:
    """Leniently decode complete SSE frames in ``raw`` into ``(event, json_payload)`` pairs.

    Frames whose data is not JSON are skipped; event names are stripped of whitespace.
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
        try:
            events.append((name, msgspec.json.decode(b"\n".join(data))))
        except msgspec.DecodeError:
            continue
    return events


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
                self.blocks[str(key) if key is not None else f"\x00{len(self.blocks)}"] = block

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
        return [
            self._message(self.user_msg_id, user, [question], 0),
            self._message(
                self.assistant_msg_id, {"tag": "Assistant"}, list(self.blocks.values()), 1
            ),
        ]

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
        self._next_msg_id = 33893

    def new_message_ids(self) -> tuple[int, int]:
        """Allocate a ``(user_msg_id, assistant_msg_id)`` pair."""
        user = self._next_msg_id
        self._next_msg_id += 2
        return user, user + 1

    def save(self, chat: StoredChat) -> None:
        """Store (or re-key) ``chat`` under its current ``chat_id``."""
        for key, value in list(self._chats.items()):
            if value is chat and key != chat.chat_id:
                del self._chats[key]
        self._chats[chat.chat_id] = chat

    def get(self, chat_id: str) -> StoredChat | None:
        """Return the chat with ``chat_id`` or ``None``."""
        return self._chats.get(chat_id)

    def __len__(self) -> int:
        """Return the number of stored chats."""
        return len(self._chats)

    def all(self) -> list[StoredChat]:
        """Return the stored chats, newest first."""
        return list(reversed(self._chats.values()))

    def summaries_json(self) -> list[dict[str, Any]]:
        """Return the ``GET /api/ana/chat/summary`` body."""
        return [chat.summary_json(self.org_id) for chat in self.all()]
