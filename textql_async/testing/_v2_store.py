"""The fake's in-memory v2 chat store, rendered in the shapes of the v2 OpenAPI schemas.

A chat is a list of turns (question + answer). A turn answered by ``POST /v2/chats``
is done at once; a streamed turn is running while its events are written, and when
the client leaves early Ana keeps working server-side until ``completes_at`` (the
history then holds the whole answer) unless ``POST /v2/chats/{id}/cancel`` stops it.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["V2Chat", "V2Store", "V2Turn"]

SortKey = Literal["name", "created_at", "updated_at"]
_seq = itertools.count(1)


@dataclass
class V2Turn:
    """One question and its answer: what the stream sends and what the history shows."""

    question: str
    message_id: str
    """The answer's id (``ChatResponse.id``, the metadata ``id``; also the assistant cell id)."""
    user_cell_id: str
    created_at: str
    model: str
    text: str
    running_steps: list[dict[str, Any]]
    """Each step cell as sent when it starts (status ``running``)."""
    finished_steps: list[dict[str, Any]]
    """Each step cell as sent when it finishes (same ids)."""
    assets: list[dict[str, Any]]
    error: str | None = None
    """Set when the answer fails (``done`` with ``status: failed``)."""
    state: Literal["running", "done", "cancelled"] = "running"
    completes_at: float | None = None
    """``time.monotonic()`` at which a turn whose stream was cut finishes server-side."""
    cancel_requested: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def running(self) -> bool:
        """Whether Ana is still working on this answer (a cancel would stop it)."""
        self.settle()
        return self.state == "running"

    def settle(self, now: float | None = None) -> None:
        """Finish a cut turn whose server-side completion time has come."""
        if self.state == "running" and self.completes_at is not None:
            if (time.monotonic() if now is None else now) >= self.completes_at:
                self.state = "done"

    def finish(self) -> None:
        """The ``done`` event was written (or the synchronous answer returned)."""
        if self.state == "running":
            self.state = "done"

    def cancel(self) -> bool:
        """Stop a running answer; ``False`` when there was nothing to stop."""
        if not self.running:
            return False
        self.state = "cancelled"
        self.cancel_requested.set()
        return True

    def cells(self) -> list[dict[str, Any]]:
        """This turn's cells in conversation order: question, steps, answer (when there is one)."""
        self.settle()
        user = {
            "id": self.user_cell_id,
            "type": "markdown",
            "status": "completed",
            "created_at": self.created_at,
            "role": "user",
            "content": self.question,
        }
        if self.state == "running":
            return [user, *self.running_steps]
        if self.state == "cancelled":
            return [user, *({**c, "status": "halted"} for c in self.running_steps)]
        answer: dict[str, Any] = {
            "id": self.message_id,
            "type": "markdown",
            "status": "failed" if self.error else "completed",
            "created_at": self.created_at,
            "role": "assistant",
            "content": self.text,
        }
        if self.error:
            answer["error"] = self.error
        return [user, *self.finished_steps, answer]

    def messages(self) -> list[dict[str, Any]]:
        """The ``ChatMessage`` objects of this turn (the answer only once it is done)."""
        self.settle()
        user = {
            "role": "user",
            "content": self.question,
            "created_at": self.created_at,
            "cell_id": self.user_cell_id,
        }
        if self.state != "done":
            return [user]
        answer = {
            "role": "assistant",
            "content": self.text,
            "created_at": self.created_at,
            "cell_id": self.message_id,
            "assets": self.chat_assets(),
        }
        return [user, answer]

    def chat_assets(self) -> list[dict[str, Any]]:
        """This turn's assets as Get Chat shows them (with ``message_cell_id``)."""
        if self.state != "done":
            return []
        return [{**a, "message_cell_id": self.message_id} for a in self.assets]


@dataclass
class V2Chat:
    """One v2 chat: its model, its turns and the list metadata."""

    id: str
    model: str
    created_at: str
    creator_email: str = "fake-member@textql.test"
    source: str = "api"
    turns: list[V2Turn] = field(default_factory=list)
    created_seq: int = field(default_factory=lambda: next(_seq))
    updated_seq: int = 0
    updated_at: str = ""

    def add(self, turn: V2Turn) -> None:
        """Append a turn and bump ``updated_at``."""
        self.turns.append(turn)
        self.updated_at = turn.created_at
        self.updated_seq = next(_seq)

    @property
    def running(self) -> bool:
        """Whether an answer of this chat is still being worked on."""
        return any(t.running for t in self.turns)

    @property
    def summary(self) -> str:
        """The chat's title (the service generates one; the fake uses the first question)."""
        first = self.turns[0].question if self.turns else ""
        line = first.strip().splitlines()[0] if first.strip() else ""
        return line[:80]

    @property
    def preview(self) -> str:
        """The first user message, up to 200 characters."""
        return self.turns[0].question[:200] if self.turns else ""

    def summary_json(self) -> dict[str, Any]:
        """A ``ChatSummary``."""
        return {
            "id": self.id,
            "summary": self.summary,
            "timestamp": self.created_at,
            "updated_at": self.updated_at or self.created_at,
            "creator_email": self.creator_email,
            "preview": self.preview,
            "source": self.source,
            "model": self.model,
            "is_running": self.running,
        }

    def thread_json(self) -> dict[str, Any]:
        """A ``GetChatResponse``."""
        return {
            "chat": {"id": self.id, "model": self.model},
            "messages": [m for t in self.turns for m in t.messages()],
            "assets": [a for t in self.turns for a in t.chat_assets()],
        }

    def cells(self) -> list[dict[str, Any]]:
        """Every cell in conversation order."""
        return [c for t in self.turns for c in t.cells()]

    def cells_page(self, limit: int, offset: int) -> tuple[list[dict[str, Any]], bool]:
        """The page ``offset`` cells back from the newest, extended back to its turn's start."""
        cells: list[dict[str, Any]] = []
        starts: set[int] = set()
        for turn in self.turns:
            starts.add(len(cells))
            cells.extend(turn.cells())
        end = len(cells) - offset
        if end <= 0:
            return [], False
        start = max(0, end - limit)
        while start > 0 and start not in starts:
            start -= 1
        return cells[start:end], start > 0


class V2Store:
    """Every v2 chat the fake knows, by id."""

    def __init__(self) -> None:
        """Start empty."""
        self._chats: dict[str, V2Chat] = {}

    def __len__(self) -> int:
        """Return the number of chats."""
        return len(self._chats)

    def add(self, chat: V2Chat) -> None:
        """Store a new chat."""
        self._chats[chat.id] = chat

    def get(self, chat_id: str) -> V2Chat | None:
        """The chat with this id, if any."""
        return self._chats.get(chat_id)

    def all(self) -> list[V2Chat]:
        """Every chat, oldest first."""
        return list(self._chats.values())

    def query(
        self,
        *,
        search_term: str | None,
        sort_by: SortKey,
        descending: bool,
    ) -> list[V2Chat]:
        """The chats matching ``search_term`` (summary or preview), sorted."""
        chats = self.all()
        if search_term:
            needle = search_term.casefold()
            chats = [
                c
                for c in chats
                if needle in c.summary.casefold() or needle in c.preview.casefold()
            ]

        def key(chat: V2Chat) -> tuple[Any, ...]:
            if sort_by == "name":
                return (chat.summary.casefold(), chat.created_seq)
            if sort_by == "created_at":
                return (chat.created_seq,)
            return (chat.updated_seq or chat.created_seq, chat.created_seq)

        return sorted(chats, key=key, reverse=descending)
