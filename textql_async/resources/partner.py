"""``client.partner``: the partner API (``X-API-Key`` auth, its own base URL).

Every call goes through the shared transport with ``auth="partner"``, so the key is
``partner_api_key`` / ``TEXTQL_PARTNER_API_KEY`` (else the main key) and the base URL
``partner_base_url`` / ``TEXTQL_PARTNER_BASE_URL``. Errors are FastAPI style: 422
``{"detail": [...]}`` is a :class:`~textql_async.ValidationError` naming the fields,
403 (invalid key) a :class:`~textql_async.PermissionDeniedError`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, get_args
from urllib.parse import quote

import msgspec

from textql_async._config import Timeout, as_timeout
from textql_async._exceptions import APIError, ValidationError
from textql_async._options import RequestOptions
from textql_async._pagination import by_token, paginate
from textql_async._transport import Response, Transport
from textql_async.models.partner import (
    EMBED_APP_URL,
    Conversation,
    ConversationMessage,
    DatabaseConnector,
    DatabaseType,
    Filter,
    MessagesPage,
    Space,
    connector_decoder,
    connectors_decoder,
    conversation_decoder,
    embed_url,
    message_decoder,
    messages_page_decoder,
    space_decoder,
    spaces_decoder,
    token_decoder,
)
from textql_async.resources._base import Resource, decode_response, require_text

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "ConversationsResource",
    "DatabaseConnectorsResource",
    "PartnerResource",
    "SpacesResource",
]

_DATABASE_TYPES: tuple[str, ...] = get_args(DatabaseType)


class DatabaseConnectorsResource(Resource, family="partner.database_connectors"):
    """``client.partner.database_connectors``: the partner's PostgreSQL / Redshift sources."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def list(
        self, *, timeout: Timeout | float | None = None, **options: Unpack[RequestOptions]
    ) -> list[DatabaseConnector]:
        """Every database connector the key's user owns.

        ``connectors = await client.partner.database_connectors.list()``
        """
        response = await _call(
            self._transport, "GET", "/sources/database-connectors", timeout, **options
        )
        return decode_response(response, connectors_decoder.decode)

    async def create(
        self,
        database_type: DatabaseType,
        host: str,
        port: int,
        database: str,
        username: str,
        password: str,
        source_name: str | None = None,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> DatabaseConnector:
        """Connect a database; the service tests the credentials first (a failure is a ServerError).

        The password is write-only: it is sent once and never logged, kept or shown in
        an error. Not retried: a repeated create would make a second connector.

        ``src = await client.partner.database_connectors.create("postgres", "db.example.com", 5432, "analytics", "analyst", pw)``
        """
        if database_type not in _DATABASE_TYPES:
            raise ValueError(
                f"database_type must be one of {_DATABASE_TYPES}, got {database_type!r}"
            )
        if isinstance(port, bool) or not isinstance(port, int):
            raise TypeError(f"port must be an int, got {type(port).__name__}")
        if not 1 <= port <= 65535:
            raise ValueError(f"port must be between 1 and 65535, got {port}")
        if not isinstance(password, str):
            raise TypeError(f"password must be a str, got {type(password).__name__}")
        body: dict[str, Any] = {
            "database_type": database_type,
            "host": require_text("host", host),
            "port": port,
            "database": require_text("database", database),
            "username": require_text("username", username),
            "password": password,
        }
        if source_name is not None:
            body["source_name"] = require_text("source_name", source_name)
        try:
            response = await _call(
                self._transport,
                "POST",
                "/sources/database-connectors",
                timeout,
                json=body,
                **options,
            )
            return decode_response(response, connector_decoder.decode)
        except APIError as exc:  # the body may echo the request: keep the password out
            _scrub(exc, password)
            raise


class SpacesResource(Resource, family="partner.spaces"):
    """``client.partner.spaces``: filtered views of a data source shared with a customer."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def create(
        self,
        source_id: str,
        name: str,
        customer_id: str,
        filters: Mapping[str, Filter | Mapping[str, Any]] | None = None,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> Space:
        """Create a space over ``source_id`` for ``customer_id``, optionally filtered by column.

        ``filters`` maps a column to a :class:`Filter` or a plain ``{"operator", "value"}``
        dict; operators this SDK does not know are sent as given.

        ``space = await client.partner.spaces.create(src, "Active users", "cust_456", {"status": Filter("equals", "active")})``
        """
        body: dict[str, Any] = {
            "source_id": require_text("source_id", source_id),
            "name": require_text("name", name),
            "customer_id": require_text("customer_id", customer_id),
        }
        if filters is not None:
            body["filters"] = _filters(filters)
        response = await _call(self._transport, "POST", "/spaces", timeout, json=body, **options)
        return decode_response(response, space_decoder.decode)

    async def list(
        self, *, timeout: Timeout | float | None = None, **options: Unpack[RequestOptions]
    ) -> list[Space]:
        """Every space the partner shared with a customer, with its filters.

        ``spaces = await client.partner.spaces.list()``
        """
        response = await _call(self._transport, "GET", "/spaces/by-partner", timeout, **options)
        return decode_response(response, spaces_decoder.decode)


class ConversationsResource(Resource, family="partner.conversations"):
    """``client.partner.conversations``: chat with a partner's data and read the history."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def send(
        self,
        conversation_id: str,
        text: str,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> ConversationMessage:
        """Send a message and return Breadcrumb's reply (``role == "breadcrumb"``).

        Not retried once sent: a repeat would ask the question twice.

        ``reply = await client.partner.conversations.send(conversation_id, "Revenue by month?")``
        """
        path = f"/conversations/{_segment('conversation_id', conversation_id)}/chat"
        body = {"text": require_text("text", text)}
        response = await _call(self._transport, "POST", path, timeout, json=body, **options)
        return decode_response(response, message_decoder.decode)

    async def messages_page(
        self,
        conversation_id: str,
        *,
        limit: int = 100,
        next_token: str | None = None,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> MessagesPage:
        """One page of messages; pass the page's ``next_token`` to get the following one.

        ``page = await client.partner.conversations.messages_page(conversation_id, limit=20)``
        """
        path = f"/conversations/{_segment('conversation_id', conversation_id)}/messages"
        params = {"limit": _limit(limit), "next_token": next_token}
        response = await _call(self._transport, "GET", path, timeout, params=params, **options)
        return decode_response(response, messages_page_decoder.decode)

    def messages(
        self,
        conversation_id: str,
        *,
        limit: int = 100,
        **options: Unpack[RequestOptions],
    ) -> AsyncIterator[ConversationMessage]:
        """Every message of a conversation, fetching ``limit`` per page lazily until ``next_token`` is null.

        ``async for message in client.partner.conversations.messages(conversation_id): ...``
        """
        _segment("conversation_id", conversation_id)
        _limit(limit)

        async def fetch(token: str | None) -> MessagesPage:
            return await self.messages_page(
                conversation_id, limit=limit, next_token=token, **options
            )

        return paginate(fetch, lambda page: page.messages, by_token(lambda page: page.next_token))

    async def get(
        self,
        conversation_id: str,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> Conversation:
        """A conversation and its data sources (a deleted one is a NotFoundError).

        ``conversation = await client.partner.conversations.get(conversation_id)``
        """
        path = f"/conversations/{_segment('conversation_id', conversation_id)}"
        response = await _call(self._transport, "GET", path, timeout, **options)
        return decode_response(response, conversation_decoder.decode)

    async def delete(
        self,
        conversation_id: str,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> None:
        """Delete a conversation and its messages.

        ``await client.partner.conversations.delete(conversation_id)``
        """
        path = f"/conversations/{_segment('conversation_id', conversation_id)}"
        await _call(self._transport, "DELETE", path, timeout, **options)


class PartnerResource(Resource, family="partner"):
    """Database connectors, spaces, embed tokens and conversations of the partner API."""

    database_connectors: DatabaseConnectorsResource
    spaces: SpacesResource
    conversations: ConversationsResource

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self.database_connectors = DatabaseConnectorsResource(transport)
        self.spaces = SpacesResource(transport)
        self.conversations = ConversationsResource(transport)

    async def embed_token(
        self,
        email: str,
        name: str,
        customer_id: str | None = None,
        space_id: str | None = None,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> str:
        """A JWT that signs ``email`` into an embedded space (the user is created if new).

        Retried like a read: a repeat only mints another token for the same user.

        ``token = await client.partner.embed_token("ana@example.com", "Ana", space_id=space.space_id)``
        """
        body: dict[str, Any] = {
            "email": require_text("email", email),
            "name": require_text("name", name),
        }
        if customer_id is not None:
            body["customer_id"] = require_text("customer_id", customer_id)
        if space_id is not None:
            body["space_id"] = require_text("space_id", space_id)
        response = await _call(
            self._transport,
            "POST",
            "/embed/token",
            timeout,
            json=body,
            idempotent=True,
            **options,
        )
        return decode_response(response, token_decoder.decode).token

    @staticmethod
    def embed_url(space_id: str, token: str, *, app_url: str = EMBED_APP_URL) -> str:
        """The iframe ``src`` that opens ``space_id`` with an embed token (no request is made).

        ``src = client.partner.embed_url(space.space_id, await client.partner.embed_token(email, name))``
        """
        return embed_url(
            require_text("space_id", space_id), require_text("token", token), app_url=app_url
        )


async def _call(
    transport: Transport,
    method: str,
    path: str,
    timeout: Timeout | float | None,
    *,
    json: Any = None,
    params: Mapping[str, str | int | None] | None = None,
    idempotent: bool | None = None,
    **options: Unpack[RequestOptions],
) -> Response:
    return await transport.request(
        method,
        path,
        json=json,
        params=params,
        auth="partner",
        timeout=as_timeout(timeout) if timeout is not None else None,
        idempotent=idempotent,
        **options,
    )


def _filters(filters: Mapping[str, Filter | Mapping[str, Any]]) -> dict[str, Any]:
    """The wire form of ``filters``; a malformed entry is a ValueError / TypeError before sending."""
    if not isinstance(filters, Mapping):
        raise TypeError("filters must be a mapping of column name to Filter")
    out: dict[str, Any] = {}
    for column, condition in filters.items():
        require_text("filter column", column)
        if isinstance(condition, Mapping):
            if "operator" not in condition or "value" not in condition:
                raise ValueError(f"filter {column!r} needs an 'operator' and a 'value'")
            condition = Filter(condition["operator"], condition["value"])
        if not isinstance(condition, Filter):
            raise TypeError(
                f"filter {column!r} must be a Filter or a dict, got {type(condition).__name__}"
            )
        require_text(f"operator of filter {column!r}", condition.operator)
        out[column] = msgspec.to_builtins(condition)
    return out


def _segment(name: str, value: str) -> str:
    return quote(require_text(name, value), safe="")


def _limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise TypeError(f"limit must be an int, got {type(limit).__name__}")
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    return limit


def _scrub(error: APIError, secret: str) -> None:
    """Take ``secret`` out of an error the server built from our request (FastAPI echoes ``input``)."""
    if not secret:
        return
    error.body = _without(error.body, secret)
    if len(secret) >= 4 and secret in error.message:
        error.message = error.message.replace(secret, "***")
        error.args = (error.message,)
    if isinstance(error, ValidationError):
        detail = error.body.get("detail") if isinstance(error.body, dict) else None
        error.errors = (
            [d for d in detail if isinstance(d, dict)] if isinstance(detail, list) else []
        )


def _without(value: object, secret: str) -> object:
    if isinstance(value, dict):
        return {k: "***" if k == "password" else _without(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [_without(v, secret) for v in value]
    if isinstance(value, str) and len(secret) >= 4 and secret in value:
        return value.replace(secret, "***")
    return "***" if value == secret else value
