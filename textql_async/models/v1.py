"""Models of the v1 Connect-RPC chat API (``POST /v1/chat*``).

The JSON is proto3's: camelCase names, and a field holding its default value
(``""``, ``0``, ``false``, the enum's ``*_UNKNOWN``) may be left out, so
non-optional scalars default to that value rather than ``None``. Enums are kept
as plain strings (a value newer than this SDK never fails) with an ``*_enum``
property returning the :class:`enum.Enum` member, or ``None`` for an unknown
value. Decoders run with ``strict=False`` so int64 / int32 numbers sent as JSON
strings (``"12"``) are accepted, as proto3 JSON allows.
"""

from __future__ import annotations

import datetime as _dt

import msgspec

from textql_async.models._base import Result
from textql_async.models.v1_enums import (
    V1ChatSource,
    V1LlmModel,
    V1Methodology,
    V1ParadigmType,
    V1SortBy,
    V1SortDirection,
    enum_member,
)

__all__ = [
    "V1BasicOptions",
    "V1Chat",
    "V1ChatMessage",
    "V1ChatPage",
    "V1ChatResponse",
    "V1ChatSource",
    "V1ChatThread",
    "V1ChatTools",
    "V1ExperimentalOptions",
    "V1LlmModel",
    "V1Methodology",
    "V1OntologyOptions",
    "V1Paradigm",
    "V1ParadigmOptions",
    "V1ParadigmType",
    "V1PreviewCell",
    "V1PublicDemoOptions",
    "V1ResearchOptions",
    "V1SortBy",
    "V1SortDirection",
    "V1SqlOptions",
    "V1TableauOptions",
    "V1UniversalOptions",
]


class _Camel(msgspec.Struct, rename="camel", frozen=True):
    """Base of every v1 model: camelCase on the wire, snake_case in Python."""


# --- paradigm options (a oneOf: exactly one field is set) -----------------------------------


class V1BasicOptions(_Camel, frozen=True):
    """Options of a basic chat (none yet)."""


class V1ExperimentalOptions(_Camel, frozen=True):
    """Options of an experimental chat."""

    connector_ids: list[int] = msgspec.field(default_factory=list)
    auto_approve_enabled: bool = False


class V1OntologyOptions(_Camel, frozen=True):
    """Options of an ontology chat."""

    connector_ids: list[int] = msgspec.field(default_factory=list)
    ontology_ids: list[int] = msgspec.field(default_factory=list)


class V1PublicDemoOptions(_Camel, frozen=True):
    """Options of a public demo chat."""

    connector_id: int = 0


class V1ResearchOptions(_Camel, frozen=True):
    """Options of a research chat."""

    connector_ids: list[int] = msgspec.field(default_factory=list)
    background_color: str | None = None
    logo: str | None = None


class V1SqlOptions(_Camel, frozen=True):
    """Options of a SQL chat."""

    connector_ids: list[int] = msgspec.field(default_factory=list)


class V1TableauOptions(_Camel, frozen=True):
    """Options of a Tableau chat (``dataset_id``: a Tableau dataset version)."""

    dataset_id: str = ""


class V1UniversalOptions(_Camel, frozen=True):
    """Options of a universal chat: its connectors and which tools are on."""

    connector_ids: list[int] = msgspec.field(default_factory=list)
    dataset_id: str | None = None
    web_search_enabled: bool = False
    sql_enabled: bool = False
    ontology_enabled: bool = False
    ontology_editing_enabled: bool = False
    python_enabled: bool = False
    auto_approve_enabled: bool = False
    google_drive_enabled: bool = False
    powerbi_enabled: bool = False
    context_editing_enabled: bool = False
    form_editor_enabled: bool = False
    playbook_tools_enabled: bool = False
    microsoft365_enabled: bool = False
    feed_explorer_enabled: bool = False
    bash_enabled: bool = False
    javascript_enabled: bool = False
    feed_post_enabled: bool = False
    feed_comment_enabled: bool = False
    feed_engage_enabled: bool = False


_OPTION_KINDS = (
    "basic",
    "experimental",
    "ontology",
    "public_demo",
    "research",
    "sql",
    "tableau",
    "universal",
)


class V1ParadigmOptions(_Camel, frozen=True):
    """The options of a chat's paradigm: one of the fields is set (see :attr:`kind`)."""

    basic: V1BasicOptions | None = None
    experimental: V1ExperimentalOptions | None = None
    ontology: V1OntologyOptions | None = None
    public_demo: V1PublicDemoOptions | None = None
    research: V1ResearchOptions | None = None
    sql: V1SqlOptions | None = None
    tableau: V1TableauOptions | None = None
    universal: V1UniversalOptions | None = None

    @property
    def kind(self) -> str | None:
        """Which options are set (``"basic"``, ``"sql"``, ``"universal"``...), ``None`` if none."""
        return next((k for k in _OPTION_KINDS if getattr(self, k) is not None), None)


class V1Paradigm(_Camel, frozen=True):
    """How a chat works: its type, the paradigm version and the type's options."""

    type: str = V1ParadigmType.UNKNOWN.value
    version: int = 0
    options: V1ParadigmOptions | None = None

    @property
    def type_enum(self) -> V1ParadigmType | None:
        """``type`` as a :class:`V1ParadigmType`, ``None`` for a value newer than this SDK."""
        return enum_member(V1ParadigmType, self.type)


# --- chats ----------------------------------------------------------------------------------


class V1Chat(_Camel, Result, frozen=True):
    """A chat of the v1 API (``GetChat`` / ``ListChats``).

    ``model`` is the raw ``LlmModel`` name: an unknown (newer) value is kept as is;
    :attr:`model_enum` gives the :class:`V1LlmModel` member or ``None``. ``source``
    and ``methodology`` work the same way.
    """

    id: str = ""
    paradigm: V1Paradigm | None = None
    model: str = V1LlmModel.UNKNOWN.value
    timestamp: _dt.datetime | None = None
    org_id: str = ""
    member_id: str = ""
    summary: str | None = None
    playbook_id: str | None = None
    research: bool | None = None
    creator_email: str | None = None
    api_key_client_id: str | None = None
    updated_at: _dt.datetime | None = None
    is_bookmarked: bool | None = None
    preferred_provider: str | None = None
    template_data_id: str | None = None
    batch_run_id: str | None = None
    preview: str | None = None
    dashboard_mode: bool | None = None
    source: str | None = None
    methodology: str | None = None

    @property
    def model_enum(self) -> V1LlmModel | None:
        """``model`` as a :class:`V1LlmModel`, ``None`` for a model newer than this SDK."""
        return enum_member(V1LlmModel, self.model)

    @property
    def source_enum(self) -> V1ChatSource | None:
        """``source`` as a :class:`V1ChatSource`, ``None`` when absent or unknown."""
        return enum_member(V1ChatSource, self.source)

    @property
    def methodology_enum(self) -> V1Methodology | None:
        """``methodology`` as a :class:`V1Methodology`, ``None`` when absent or unknown."""
        return enum_member(V1Methodology, self.methodology)


class V1ChatMessage(_Camel, frozen=True):
    """One message of a chat: ``role`` is ``"user"`` or ``"assistant"``."""

    role: str = ""
    content: str = ""
    created_at: _dt.datetime | None = None


class V1PreviewCell(_Camel, frozen=True):
    """An asset of a chat; ``preview_type``: image, table, pdf, html, dataframe or download."""

    target: str = ""
    preview_type: str = ""
    name: str = ""
    url: str | None = None
    content: str | None = None
    error: str | None = None


class V1ChatThread(_Camel, Result, frozen=True):
    """``POST /v1/chat/get``: the chat, its messages and its assets."""

    chat: V1Chat = msgspec.field(default_factory=V1Chat)
    messages: list[V1ChatMessage] = msgspec.field(default_factory=list)
    assets: list[V1PreviewCell] = msgspec.field(default_factory=list)


class V1ChatPage(_Camel, Result, frozen=True):
    """One page of ``POST /v1/chat/list``; ``total_count`` counts every matching chat."""

    chats: list[V1Chat] = msgspec.field(default_factory=list)
    total_count: int = 0


class V1ChatTools(_Camel, frozen=True, omit_defaults=True):
    """Tools for ``client.v1.chats.create`` (``None`` leaves the organization's default)."""

    connector_ids: list[int] | None = None
    web_search_enabled: bool | None = None
    sql_enabled: bool | None = None
    ontology_enabled: bool | None = None
    experimental_enabled: bool | None = None
    tableau_enabled: bool | None = None
    auto_approve_enabled: bool | None = None
    python_enabled: bool | None = None
    google_drive_enabled: bool | None = None
    powerbi_enabled: bool | None = None


class V1ChatResponse(_Camel, Result, frozen=True):
    """``POST /v1/chat``: the answer (``response``, Markdown) of the message ``id`` in ``chat_id``."""

    id: str = ""
    created_at: _dt.datetime | None = None
    error: str | None = None
    model: str = ""
    response: str = ""
    chat_id: str = ""
    assets: list[V1PreviewCell] = msgspec.field(default_factory=list)


class _Cancelled(_Camel, frozen=True):
    exists: bool = False


thread_decoder = msgspec.json.Decoder(V1ChatThread, strict=False)
page_decoder = msgspec.json.Decoder(V1ChatPage, strict=False)
response_decoder = msgspec.json.Decoder(V1ChatResponse, strict=False)
cancelled_decoder = msgspec.json.Decoder(_Cancelled, strict=False)
