"""Models of the partner API (``client.partner``; the Breadcrumb API 0.1.0 wire format).

Lenient like every model of this SDK: fields are optional, unknown fields are
ignored, and open enums (connector ``status``, message ``role``, filter
``operator``) stay plain strings so a value this version does not know never
fails decoding. Database passwords are write-only: no model here holds one.
"""

from __future__ import annotations

import enum
from typing import Any, Literal
from urllib.parse import quote, urlencode

import msgspec
from msgspec.structs import force_setattr

from textql_async.models._base import Result

__all__ = [
    "EMBED_APP_URL",
    "Conversation",
    "ConversationMessage",
    "DataSource",
    "DatabaseConnector",
    "DatabaseType",
    "Filter",
    "FilterOperator",
    "MessagesPage",
    "Space",
    "embed_url",
]

DatabaseType = Literal["postgres", "redshift"]
"""The database engines a partner connector can reach."""

EMBED_APP_URL = "https://app.breadcrumb.ai"
"""Where embedded spaces are served (the iframe's origin)."""


class FilterOperator(str, enum.Enum):
    """The filter operators this SDK knows; the server may accept (and send) others."""

    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    GREATER_THAN = "greater_than"
    GREATER_THAN_OR_EQUAL = "greater_than_or_equal"
    LESS_THAN = "less_than"
    LESS_THAN_OR_EQUAL = "less_than_or_equal"
    IN = "in"
    NOT_IN = "not_in"
    CONTAINS = "contains"

    def __str__(self) -> str:
        return self.value


_KNOWN_OPERATORS = {op.value: op for op in FilterOperator}


class Filter(msgspec.Struct, frozen=True):
    """One column filter of a space: ``Filter("in", ["A", "B"])``.

    ``operator`` is kept as a plain string (a :class:`FilterOperator` is accepted and
    stored as its value), so an operator newer than this SDK round-trips unchanged;
    :attr:`known_operator` tells whether it is one of ours. ``value`` is a scalar, or a
    list for ``in`` / ``not_in``.
    """

    operator: str
    value: Any = None

    def __post_init__(self) -> None:
        if isinstance(self.operator, FilterOperator):  # store "in", not FilterOperator.IN
            force_setattr(self, "operator", self.operator.value)

    @property
    def known_operator(self) -> FilterOperator | None:
        """The operator as a :class:`FilterOperator`, or ``None`` when this SDK does not know it."""
        return _KNOWN_OPERATORS.get(self.operator)


class DatabaseConnector(Result, frozen=True):
    """A database the partner connected (``status`` is ``READY`` once the connection test passed)."""

    source_id: str | None = None
    user_id: str | None = None
    database_type: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    username: str | None = None
    source_name: str | None = None
    status: str | None = None


class Space(Result, frozen=True):
    """A filtered, read-only view of a data source shared with one customer."""

    space_id: str | None = None
    source_id: str | None = None
    name: str | None = None
    partner_id: str | None = None
    customer_id: str | None = None
    filters: dict[str, Filter] = msgspec.field(default_factory=dict)


class ConversationMessage(Result, frozen=True):
    """One message of a conversation: ``role`` is ``user`` or ``breadcrumb`` (kept open).

    ``visualization`` is the chart the answer produced, when there is one.
    """

    text: str = ""
    role: str | None = None
    visualization: str | None = None


class MessagesPage(Result, frozen=True):
    """One page of a conversation's messages; ``next_token`` is ``None`` on the last page."""

    messages: list[ConversationMessage] = msgspec.field(default_factory=list)
    next_token: str | None = None


class DataSource(msgspec.Struct, frozen=True):
    """A data source a conversation can query."""

    name: str | None = None
    type: str | None = None


class Conversation(Result, frozen=True):
    """A conversation and the data sources it uses."""

    conversation_id: str | None = None
    data_sources: list[DataSource] = msgspec.field(default_factory=list)


class _EmbedToken(msgspec.Struct):
    token: str


def embed_url(space_id: str, token: str, *, app_url: str = EMBED_APP_URL) -> str:
    """The iframe URL that opens ``space_id`` for the user an embed token was minted for.

    ``embed_url("space_789", token)`` ->
    ``https://app.breadcrumb.ai/embed/spaces/space_789?embed_token=<token>``
    """
    base = app_url.rstrip("/")
    return f"{base}/embed/spaces/{quote(space_id, safe='')}?{urlencode({'embed_token': token})}"


connector_decoder = msgspec.json.Decoder(DatabaseConnector)
connectors_decoder = msgspec.json.Decoder(list[DatabaseConnector])
space_decoder = msgspec.json.Decoder(Space)
spaces_decoder = msgspec.json.Decoder(list[Space])
token_decoder = msgspec.json.Decoder(_EmbedToken)
message_decoder = msgspec.json.Decoder(ConversationMessage)
messages_page_decoder = msgspec.json.Decoder(MessagesPage)
conversation_decoder = msgspec.json.Decoder(Conversation)
