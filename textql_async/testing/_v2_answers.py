"""What the fake's v2 chat answers: the default turn, scripted rules, and its stream events."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

from textql_async.testing._rules import Matcher, matches
from textql_async.testing._store import iso_timestamp
from textql_async.testing._v2_store import V2Turn

__all__ = [
    "DEFAULT_MODELS",
    "StreamItem",
    "V2AnswerRule",
    "build_turn",
    "response_json",
    "sse_data",
    "stream_events",
]

DEFAULT_MODELS: tuple[Mapping[str, Any], ...] = (
    {"id": "sonnet_4", "provider": "anthropic", "supports_fast_mode": False, "default": True},
    {"id": "opus_4", "provider": "anthropic", "supports_fast_mode": False, "default": False},
    {"id": "gemini_3_5_flash", "provider": "google", "supports_fast_mode": True, "default": False},
    {"id": "gpt_5", "provider": "openai", "supports_fast_mode": True, "default": False},
)
"""The models ``GET /v2/models`` lists by default (``fake.v2.models`` is a mutable copy)."""

StreamItem = Union[Mapping[str, Any], bytes]
"""A stream event: a JSON object sent as ``data: {json}``, or a raw frame sent as is."""

_PREVIEW = "| region | revenue |\n|---|---|\n| West | 1204000 |\n| East | 987500 |"


@dataclass(frozen=True)
class V2AnswerRule:
    """How the fake answers the v2 questions ``match`` accepts (see ``V2Routes.add_answer``)."""

    match: Matcher
    text: str | Sequence[str] | None = None
    error: str | None = None
    cell: Mapping[str, Any] | None = None
    events: Sequence[StreamItem] = ()
    drop_after: int | None = None
    event_delay: float | None = None

    def matches(self, question: str) -> bool:
        """Return whether this rule answers ``question``."""
        return matches(self.match, question)


def _split(text: str, parts: int = 3) -> list[str]:
    """``text`` in ``parts`` pieces that concatenate back to it (fewer when it is short)."""
    size = max(1, -(-len(text) // parts))
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _default_text(question: str, dashboard: bool) -> list[str]:
    ending = (
        "I built a live dashboard for it: see the dashboard asset."
        if dashboard
        else "West leads revenue this period."
    )
    return [f"Here is what I found for: {question}\n\n", _PREVIEW + "\n\n", ending]


def _uuid() -> str:
    return str(uuid.uuid4())


def build_turn(
    question: str,
    *,
    model: str,
    connector_ids: Sequence[int],
    rule: V2AnswerRule | None,
) -> tuple[V2Turn, list[str]]:
    """A new turn answering ``question``, and its text deltas."""
    now = iso_timestamp()
    dashboard = "dashboard" in question.casefold()
    if rule is not None and rule.text is not None:
        deltas = _split(rule.text) if isinstance(rule.text, str) else list(rule.text)
    else:
        deltas = _default_text(question, dashboard)
    error = rule.error if rule is not None else None
    step_id = _uuid()
    running: dict[str, Any] = {"id": step_id, "status": "running", "created_at": now}
    if connector_ids:
        running |= {
            "type": "sql",
            "query": "SELECT region, SUM(revenue) AS revenue FROM sales GROUP BY region",
            "connector_id": connector_ids[0],
        }
    else:
        running |= {"type": "python", "code": "df = sales.groupby('region').revenue.sum()\ndf"}
    finished: dict[str, Any] = {**running, "status": "completed", "execution_time_ms": 42}
    finished["dataframe_preview"] = _PREVIEW
    if running["type"] == "python":
        finished["output"] = ["region  revenue", "West    1204000", "East     987500"]
    if error is not None:
        finished = {**running, "status": "failed", "error": error, "execution_time_ms": 7}
        deltas = deltas[:1]
    assets: list[dict[str, Any]] = []
    if error is None:
        asset_id = _uuid()
        if dashboard:
            url = f"https://app.textql.com/dashboards/{asset_id}"
            asset = {"name": "Dashboard", "type": "dashboard", "url": url, "dashboard_url": url}
        else:
            url = f"https://app.textql.com/assets/{asset_id}/revenue_by_region.png"
            asset = {"name": "revenue_by_region.png", "type": "chart", "url": url}
        assets.append({**asset, "cell_id": step_id, "created_at": now})
        finished["assets"] = list(assets)
    if rule is not None and rule.cell:
        finished |= dict(rule.cell)
    turn = V2Turn(
        question=question,
        message_id=_uuid(),
        user_cell_id=_uuid(),
        created_at=now,
        model=model,
        text="".join(deltas),
        running_steps=[running],
        finished_steps=[finished],
        assets=assets,
        error=error,
    )
    return turn, deltas


def stream_events(
    turn: V2Turn,
    deltas: Sequence[str],
    *,
    chat_id: str,
    continuation: bool,
    extra: Sequence[StreamItem] = (),
) -> list[StreamItem]:
    """The events of ``POST /v2/chats/stream`` for ``turn``, in the service's order."""
    events: list[StreamItem] = [
        {
            "type": "metadata",
            "id": turn.message_id,
            "created_at": turn.created_at,
            "model": turn.model,
            "chat_id": chat_id,
            "is_continuation": continuation,
        },
        {"type": "text", "text": deltas[0] if deltas else ""},
    ]
    for started, finished in zip(turn.running_steps, turn.finished_steps, strict=True):
        events += [{"type": "cell", "cell": started}, {"type": "cell", "cell": finished}]
    events += [{"type": "text", "text": d} for d in deltas[1:]]
    events += list(extra)
    events += [{"type": "asset", "asset": a} for a in turn.assets]
    done: dict[str, Any] = {"type": "done", "status": "failed" if turn.error else "completed"}
    if turn.error:
        done["error"] = turn.error
    events.append(done)
    return events


def response_json(turn: V2Turn, chat_id: str) -> dict[str, Any]:
    """The ``ChatResponse`` of ``POST /v2/chats`` for a finished turn."""
    return {
        "id": turn.message_id,
        "created_at": turn.created_at,
        "model": turn.model,
        "response": turn.text,
        "chat_id": chat_id,
        "assets": list(turn.assets),
    }


def sse_data(item: StreamItem) -> bytes:
    """One SSE frame: ``data: {json}`` (single line, as the service sends), or a raw frame."""
    if isinstance(item, bytes):
        return item
    return b"data: " + json.dumps(item, separators=(",", ":")).encode() + b"\n\n"
