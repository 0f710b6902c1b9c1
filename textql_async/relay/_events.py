"""The relay's vocabulary: numbered events, an answer's state, typed errors, the interface.

Both backends (:class:`~textql_async.relay.InMemoryRelay`,
:class:`~textql_async.relay.RedisRelay`) speak it, so a web app is written once.
Event payloads are JSON-ready (plain dicts, blocks as their wire JSON) so a relay
can write them to SSE or a websocket without knowing the block types.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, Literal, Protocol, runtime_checkable

import msgspec

from textql_async._exceptions import TextQLError
from textql_async.models.ana import Block, block_from_builtins, block_to_builtins
from textql_async.sansio.fold import last_text

__all__ = [
    "AnswerLostError",
    "AnswerNotFoundError",
    "AnswerRelay",
    "AnswerState",
    "EventKind",
    "RelayEvent",
    "RelayUnavailableError",
    "blocks_from_wire",
    "blocks_to_wire",
    "new_answer_id",
]

EventKind = Literal["snapshot", "update", "done", "error"]
"""The four relay event kinds."""

TERMINAL: frozenset[str] = frozenset({"done", "error"})


class RelayEvent(msgspec.Struct, frozen=True):
    """One numbered event of an answer's log; ``seq`` is the SSE ``id:``.

    ``data`` by ``kind``:

    - ``snapshot``: ``{"chat_id", "blocks": [wire JSON...], "answer"}`` - the whole state as
      of ``seq``; replace what you have with it.
    - ``update``: ``{"chat_id", "blocks": [{"index": i, "block": {...}}]}`` - only the blocks
      that changed; put each at its ``index`` (a new index appends).
    - ``done``: ``{"chat_id", "answer", "blocks": [wire JSON...]}`` - the final state (replace
      yours with ``blocks``; after a takeover they come from the chat history).
    - ``error``: ``{"type", "message", "snapshot": {"chat_id", "blocks", "answer"}}`` - the
      answer (or this reader) ended on a typed error; ``type`` is its class name.

    ``done`` and ``error`` end the reader's iteration. An ``error`` raised by the relay
    itself for one reader (Redis unreachable) is not written to the log: it carries the
    ``seq`` of the last event that reader got, so resuming ``after=seq`` loses nothing.
    """

    seq: int
    kind: EventKind
    data: dict[str, Any]

    @property
    def terminal(self) -> bool:
        """Whether this event ends the answer (``done`` or ``error``)."""
        return self.kind in TERMINAL


class AnswerState(msgspec.Struct):
    """Where an answer stands now (``relay.state(answer_id, owner=...)``).

    ``seq`` is the last event's number; ``error`` is ``{"type", "message"}`` when the
    answer ended on an error.
    """

    answer_id: str
    owner: str
    chat_id: str | None
    done: bool
    blocks: list[Block]
    answer: str | None
    error: dict[str, str] | None = None
    seq: int = 0

    def to_builtins(self) -> dict[str, Any]:
        """JSON-ready form: ``{"answer_id", "chat_id", "done", "blocks": [wire JSON], "answer", "error", "seq"}``."""
        return {
            "answer_id": self.answer_id,
            "chat_id": self.chat_id,
            "done": self.done,
            "blocks": blocks_to_wire(self.blocks),
            "answer": self.answer,
            "error": self.error,
            "seq": self.seq,
        }


class AnswerNotFoundError(TextQLError):
    """No such answer for this owner: unknown, expired, or another owner's (map it to 404).

    The message is the same in all three cases, so guessing ids reveals nothing.
    """

    def __init__(self, answer_id: str) -> None:
        super().__init__(f"no answer {answer_id!r} for this owner")
        self.answer_id = answer_id


class RelayUnavailableError(TextQLError):
    """The relay's backend (Redis) is down or unreachable; nothing was started."""


class AnswerLostError(TextQLError):
    """An answer whose owner died before Ana sent its chat id: it cannot be finished
    without asking again, which the relay never does."""


def new_answer_id() -> str:
    """A random, unguessable answer id (never derived from the question)."""
    return secrets.token_urlsafe(16)


def blocks_to_wire(blocks: list[Block] | tuple[Block, ...]) -> list[dict[str, Any]]:
    """Each block as the JSON object Ana sends."""
    return [block_to_builtins(b) for b in blocks]


def blocks_from_wire(wire: list[dict[str, Any]]) -> list[Block]:
    """Blocks back from their wire JSON (unknown tags become ``UnknownBlock``)."""
    return [block_from_builtins(b) for b in wire]


def state_data(chat_id: str | None, wire_blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``snapshot`` payload for these blocks."""
    return {
        "chat_id": chat_id,
        "blocks": wire_blocks,
        "answer": wire_answer(wire_blocks),
    }


def wire_answer(wire_blocks: list[dict[str, Any]]) -> str | None:
    """The last text block's contents, from wire JSON."""
    for block in reversed(wire_blocks):
        if block.get("tag") == "TextBlock" and isinstance(block.get("contents"), str):
            return str(block["contents"])
    return None


def error_data(exc: BaseException, chat_id: str | None, wire_blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``error`` payload for ``exc`` with the state so far."""
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return {
        "type": type(exc).__name__,
        "message": str(message),
        "snapshot": state_data(chat_id, wire_blocks),
    }


def state_from(
    answer_id: str,
    owner: str,
    seq: int,
    chat_id: str | None,
    wire_blocks: list[dict[str, Any]],
    terminal: RelayEvent | None,
) -> AnswerState:
    """An :class:`AnswerState` from a backend's stored parts."""
    error: dict[str, str] | None = None
    if terminal is not None and terminal.kind == "error":
        error = {"type": str(terminal.data.get("type")), "message": str(terminal.data.get("message"))}
    blocks = blocks_from_wire(wire_blocks)
    return AnswerState(
        answer_id=answer_id,
        owner=owner,
        chat_id=chat_id,
        done=terminal is not None and terminal.kind == "done",
        blocks=blocks,
        answer=last_text(blocks),
        error=error,
        seq=seq,
    )


@runtime_checkable
class AnswerRelay(Protocol):
    """What both relay backends offer: start an answer once, read it from anywhere.

    ``answer_id = await relay.start(question, owner=user)`` asks Ana once;
    ``async for event in relay.events(answer_id, owner=user, after=last_seq)`` reads it,
    from the start or resuming after ``last_seq`` (the SSE ``Last-Event-ID``).
    """

    async def start(self, question: str, *, owner: str, **ask_args: Any) -> str:
        """Ask Ana ``question`` for ``owner``; returns the new answer's random id at once."""
        ...

    def events(
        self, answer_id: str, *, owner: str, after: int | None = None
    ) -> AsyncIterator[RelayEvent]:
        """The answer's events after ``after`` (a ``snapshot`` first when needed); ends after
        ``done``/``error``. Raises :class:`AnswerNotFoundError` on the first iteration."""
        ...

    async def state(self, answer_id: str, *, owner: str) -> AnswerState:
        """The answer's current state; :class:`AnswerNotFoundError` if not ``owner``'s."""
        ...

    async def aclose(self) -> None:
        """Stop the answers this relay reads and release what it opened."""
        ...

    async def __aenter__(self) -> AnswerRelay: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
