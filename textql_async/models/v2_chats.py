"""Models of the v2 chat API (``/v2/chats*``, ``/v2/models``) and its typed event stream.

Lenient by design: every response field is optional except where the spec
requires it, unknown fields are ignored, and open enums (cell ``type``,
``status``, asset ``type``) are plain strings so a new value never fails.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Union

import msgspec

from textql_async.models._base import Result

__all__ = [
    "Asset",
    "AssetEvent",
    "ChatCell",
    "ChatEvent",
    "ChatInfo",
    "ChatPage",
    "ChatResponse",
    "ChatResult",
    "ChatSnapshot",
    "ChatSummaryV2",
    "ChatThread",
    "ChatThreadMessage",
    "CellEvent",
    "CellsPage",
    "Done",
    "Metadata",
    "Model",
    "TextDelta",
    "Tools",
    "UnknownEvent",
    "decode_chat_event",
]


class Tools(msgspec.Struct, omit_defaults=True, frozen=True):
    """Which tools Ana may use in a chat (``None`` leaves the organization's default)."""

    connector_ids: list[int] | None = None
    sql_enabled: bool | None = None
    python_enabled: bool | None = None
    web_search_enabled: bool | None = None
    ontology_enabled: bool | None = None
    tableau_enabled: bool | None = None
    powerbi_enabled: bool | None = None
    google_drive_enabled: bool | None = None


class Asset(msgspec.Struct, frozen=True):
    """Something a chat produced: a chart, table, file, dashboard... URLs are re-signed per fetch."""

    name: str | None = None
    type: str | None = None
    url: str | None = None
    content: str | None = None
    cell_id: str | None = None
    message_cell_id: str | None = None
    created_at: _dt.datetime | None = None
    dashboard_url: str | None = None

    @property
    def is_dashboard(self) -> bool:
        """Whether this asset is a live dashboard."""
        return self.dashboard_url is not None or (self.type or "").lower() == "dashboard"


def dashboard_url_of(assets: list[Asset]) -> str | None:
    """The URL of the first dashboard among ``assets``, if any."""
    for asset in assets:
        if asset.is_dashboard:
            return asset.dashboard_url or asset.url
    return None


class ChatResponse(Result, frozen=True):
    """The answer of ``POST /v2/chats``: ``id`` is the message id, ``response`` the Markdown answer."""

    id: str | None = None
    created_at: _dt.datetime | None = None
    model: str | None = None
    response: str | None = None
    chat_id: str | None = None
    assets: list[Asset] = msgspec.field(default_factory=list)

    @property
    def dashboard_url(self) -> str | None:
        """The live dashboard's URL when Ana built one (ask for it in the question)."""
        return dashboard_url_of(self.assets)


class ChatCell(Result, frozen=True):
    """One execution step of a chat (markdown, python, sql, ontology_query, ...)."""

    id: str | None = None
    type: str | None = None
    status: str | None = None
    created_at: _dt.datetime | None = None
    error: str | None = None
    role: str | None = None
    content: str | None = None
    code: str | None = None
    query: str | None = None
    connector_id: int | None = None
    output: list[str] | None = None
    dataframe_preview: str | None = None
    execution_time_ms: int | str | None = None
    tool_name: str | None = None
    assets: list[Asset] = msgspec.field(default_factory=list)

    @property
    def execution_ms(self) -> int | None:
        """``execution_time_ms`` as an int (int64 values may arrive as JSON strings)."""
        value = self.execution_time_ms
        if isinstance(value, str):
            return int(value) if value.lstrip("-").isdigit() else None
        return value


class ChatInfo(msgspec.Struct, frozen=True):
    """The chat of ``GET /v2/chats/{id}``."""

    id: str | None = None
    model: str | None = None


class ChatThreadMessage(msgspec.Struct, frozen=True):
    """One message of a v2 chat: ``role`` is ``user`` or ``assistant``; ``content`` is Markdown."""

    role: str | None = None
    content: str | None = None
    created_at: _dt.datetime | None = None
    cell_id: str | None = None
    assets: list[Asset] = msgspec.field(default_factory=list)


class ChatThread(Result, frozen=True):
    """``GET /v2/chats/{id}``: the chat, its messages and every asset of the chat."""

    chat: ChatInfo = msgspec.field(default_factory=ChatInfo)
    messages: list[ChatThreadMessage] = msgspec.field(default_factory=list)
    assets: list[Asset] = msgspec.field(default_factory=list)


class ChatSummaryV2(msgspec.Struct, frozen=True):
    """One chat in ``GET /v2/chats``."""

    id: str
    summary: str | None = None
    timestamp: _dt.datetime | None = None
    updated_at: _dt.datetime | None = None
    creator_email: str | None = None
    preview: str | None = None
    source: str | None = None
    model: str | None = None
    is_running: bool | None = None


class ChatPage(Result, frozen=True):
    """One page of ``GET /v2/chats``; ``total_count`` counts every matching chat."""

    chats: list[ChatSummaryV2]
    total_count: int


class CellsPage(Result, frozen=True):
    """One page of ``GET /v2/chats/{id}/cells``, newest first; ``has_more`` when older cells exist."""

    chat_id: str | None = None
    cells: list[ChatCell] = msgspec.field(default_factory=list)
    has_more: bool = False


class Model(Result, frozen=True):
    """A model the caller may pass as ``model`` when creating a chat."""

    id: str
    provider: str | None = None
    supports_fast_mode: bool = False
    default: bool = False


class _Models(msgspec.Struct):
    models: list[Model] = msgspec.field(default_factory=list)


class _Cancelled(msgspec.Struct):
    cancelled: bool = False


# --- The typed stream of POST /v2/chats/stream ------------------------------------------------


class Metadata(msgspec.Struct, tag_field="type", tag="metadata", frozen=True):
    """The first event: message ``id``, ``chat_id``, ``model``, and whether it continues a chat."""

    id: str | None = None
    created_at: _dt.datetime | None = None
    model: str | None = None
    chat_id: str | None = None
    is_continuation: bool | None = None


class TextDelta(msgspec.Struct, tag_field="type", tag="text", frozen=True):
    """A piece of the Markdown answer: concatenate them."""

    text: str = ""


class CellEvent(msgspec.Struct, tag_field="type", tag="cell", frozen=True):
    """An execution step, sent when it starts and again when it finishes (same ``cell.id``)."""

    cell: ChatCell = msgspec.field(default_factory=ChatCell)


class AssetEvent(msgspec.Struct, tag_field="type", tag="asset", frozen=True):
    """An asset the answer produced."""

    asset: Asset = msgspec.field(default_factory=Asset)


class Done(msgspec.Struct, tag_field="type", tag="done", frozen=True):
    """The terminal event: ``status`` is ``completed`` or ``failed`` (with ``error``)."""

    status: str | None = None
    error: str | None = None


class UnknownEvent(msgspec.Struct, frozen=True):
    """An event whose ``type`` this SDK version does not know; ``raw`` keeps it whole."""

    type: str | None
    raw: Any


ChatEvent = Union[Metadata, TextDelta, CellEvent, AssetEvent, Done, UnknownEvent]
"""One event of a v2 chat stream; an event type this version does not know is an ``UnknownEvent``, never an error."""
_event_decoder = msgspec.json.Decoder(Union[Metadata, TextDelta, CellEvent, AssetEvent, Done])
_any_decoder = msgspec.json.Decoder()


def decode_chat_event(data: str | bytes) -> ChatEvent:
    """Decode one ``data:`` payload of the v2 chat stream; an unknown ``type`` is an UnknownEvent.

    Raises ``msgspec.DecodeError`` for invalid JSON and ``msgspec.ValidationError``
    for a known type with fields of the wrong type.
    """
    try:
        event: ChatEvent = _event_decoder.decode(data)
        return event
    except msgspec.ValidationError:
        raw = _any_decoder.decode(data)
        kind = raw.get("type") if isinstance(raw, dict) else None
        if kind in ("metadata", "text", "cell", "asset", "done"):
            raise
        return UnknownEvent(kind if isinstance(kind, str) else None, raw)


class ChatSnapshot(msgspec.Struct, frozen=True):
    """A v2 answer so far: metadata, the text, cells in order (newest version each), assets."""

    metadata: Metadata | None = None
    text: str = ""
    cells: tuple[ChatCell, ...] = ()
    assets: tuple[Asset, ...] = ()
    done: Done | None = None


class ChatResult(Result, frozen=True):
    """A finished streamed v2 answer."""

    chat_id: str | None
    message_id: str | None
    model: str | None
    text: str
    cells: tuple[ChatCell, ...]
    assets: tuple[Asset, ...]
    status: str | None
    error: str | None

    @property
    def dashboard_url(self) -> str | None:
        """The live dashboard's URL when Ana built one."""
        return dashboard_url_of(list(self.assets))


def result_from_chat_snapshot(snapshot: ChatSnapshot) -> ChatResult:
    """The :class:`ChatResult` a snapshot describes."""
    meta = snapshot.metadata
    done = snapshot.done
    return ChatResult(
        chat_id=meta.chat_id if meta else None,
        message_id=meta.id if meta else None,
        model=meta.model if meta else None,
        text=snapshot.text,
        cells=snapshot.cells,
        assets=snapshot.assets,
        status=done.status if done else None,
        error=done.error if done else None,
    )


models_decoder = msgspec.json.Decoder(_Models)
cancelled_decoder = msgspec.json.Decoder(_Cancelled)
