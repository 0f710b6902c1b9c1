"""Helpers shared by the resilience tests (imported as ``from _kit import ...``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textql_async import AsyncTextQL, Block, RetryPolicy
from textql_async.models.ana import block_from_builtins
from textql_async.testing import (
    FakeTextQL,
    ScriptEvent,
    StoredChat,
    default_answer,
    final_blocks,
    parse_raw_events,
    render_script,
)

FAST = RetryPolicy(max_retries=2, base=0.01, cap=0.05)
"""Retries that never sleep long."""

HEADER: list[ScriptEvent] = [("chatId", "chat-r"), ("userMsgId", 11), ("assistantMsgId", 12)]
DONE: ScriptEvent = ("message", "done")


def client(fake: FakeTextQL, **kwargs: Any) -> AsyncTextQL:
    """A client of ``fake`` with the fast retry policy (unless overridden)."""
    kwargs.setdefault("retry_policy", FAST)
    return fake.client(**kwargs)


def requests_to(fake: FakeTextQL, path: str) -> int:
    """How many requests ``fake`` received for exactly ``path``."""
    return sum(1 for r in fake.requests if r.path == path)


def ana_requests(fake: FakeTextQL) -> int:
    """How many times a question was sent (``GET /api/ana``)."""
    return requests_to(fake, "/api/ana")


def history_requests(fake: FakeTextQL) -> int:
    """How many ``GET /api/ana/{chat_id}`` (chat messages) requests ``fake`` received."""
    return sum(
        1
        for r in fake.requests
        if r.path.startswith("/api/ana/") and r.path != "/api/ana/chat/summary"
    )


def blocks(dicts: Sequence[dict[str, Any]]) -> tuple[Block, ...]:
    """SDK blocks from wire JSON objects."""
    return tuple(block_from_builtins(d) for d in dicts)


def default_script(chat: StoredChat) -> list[ScriptEvent]:
    """The default answer ``chat`` was (or will be) streamed."""
    return list(
        default_answer(
            chat.question,
            chat_id=chat.chat_id,
            user_msg_id=chat.user_msg_id,
            assistant_msg_id=chat.assistant_msg_id,
        )
    )


def final_answer(script: Sequence[ScriptEvent]) -> tuple[Block, ...]:
    """The blocks of the complete answer to ``script`` (final version of each)."""
    return blocks(final_blocks(script))


def versions(script: Sequence[ScriptEvent]) -> dict[str | None, list[Block]]:
    """Every version of every block the server sends in ``script``, by block id."""
    out: dict[str | None, list[Block]] = {}
    for name, payload in parse_raw_events(render_script(script)):
        if name == "block" and isinstance(payload, dict):
            out.setdefault(payload.get("id"), []).append(block_from_builtins(payload))
    return out


def event_bytes(script: Sequence[ScriptEvent]) -> list[int]:
    """The byte length of each scripted event on the wire."""
    return [len(render_script([item])) for item in script]
