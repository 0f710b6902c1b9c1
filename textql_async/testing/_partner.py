"""The partner API (X-API-Key auth), served under /partner on the fake.

Behaves like the public Breadcrumb API 0.1.0 the seed describes: FastAPI error bodies
(403 ``{"detail": "Invalid API key"}``, 422 ``{"detail": [{loc, msg, type}]}``), and an
in-memory store where what you create you can list. Database passwords are kept for
assertions (``connectors[id].password``) but never sent back, not even in a 422.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from textql_async.testing import _partner_checks as checks

if TYPE_CHECKING:
    from textql_async.testing._server import FakeTextQL

__all__ = ["PartnerRoutes", "StoredConnector", "StoredConversation"]

_BASE = "/partner"
_DATABASE_TYPES = ("postgres", "redshift")
_VISUAL_WORDS = ("chart", "plot", "graph", "visual")


@dataclass
class StoredConnector:
    """A connector as the fake keeps it; ``password`` is what the client sent (never served)."""

    source_id: str
    user_id: str
    database_type: str
    host: str
    port: int
    database: str
    username: str
    source_name: str | None
    status: str = "READY"
    password: str = field(default="", repr=False)

    def to_json(self) -> dict[str, Any]:
        """The ``DatabaseConnectorResponse`` (no password)."""
        data = asdict(self)
        del data["password"]
        return data


@dataclass
class StoredConversation:
    """A conversation: its messages (oldest first) and data sources."""

    conversation_id: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    data_sources: list[dict[str, str]] = field(default_factory=list)


class PartnerRoutes:
    """The partner API (X-API-Key auth), served under /partner on the fake."""

    prefix = "/partner/"
    user_id = "user_fake_partner"
    partner_id = "partner_fake"

    def __init__(self, fake: FakeTextQL) -> None:
        self.fake = fake
        self.connectors: dict[str, StoredConnector] = {}
        self.spaces: dict[str, dict[str, Any]] = {}
        self.conversations: dict[str, StoredConversation] = {}
        self._counter = 0
        self._signing_key = hashlib.sha256(b"fake-partner-signing-key").digest()

    # -- test helpers ----------------------------------------------------------------------

    def add_conversation(
        self,
        conversation_id: str,
        messages: Sequence[Mapping[str, Any]] = (),
        data_sources: Sequence[Mapping[str, str]] = (),
    ) -> StoredConversation:
        """Seed a conversation with ``{"text", "role", "visualization"?}`` messages."""
        conversation = StoredConversation(
            conversation_id,
            [
                {"text": m["text"], "role": m["role"], "visualization": m.get("visualization")}
                for m in messages
            ],
            [dict(d) for d in data_sources],
        )
        self.conversations[conversation_id] = conversation
        return conversation

    # -- family protocol -------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        """Register this family's handlers."""
        r = app.router
        r.add_get(f"{_BASE}/sources/database-connectors", self._list_connectors)
        r.add_post(f"{_BASE}/sources/database-connectors", self._create_connector)
        r.add_post(f"{_BASE}/spaces", self._create_space)
        r.add_get(f"{_BASE}/spaces/by-partner", self._list_spaces)
        r.add_post(f"{_BASE}/embed/token", self._embed_token)
        r.add_post(f"{_BASE}/conversations/{{conversation_id}}/chat", self._send)
        r.add_get(f"{_BASE}/conversations/{{conversation_id}}/messages", self._messages)
        r.add_get(f"{_BASE}/conversations/{{conversation_id}}", self._get_conversation)
        r.add_delete(f"{_BASE}/conversations/{{conversation_id}}", self._delete_conversation)
        r.add_route("*", f"{_BASE}/{{tail:.*}}", self._not_found)  # FastAPI's 404 body

    def authorize(self, request: web.Request) -> web.StreamResponse | None:
        """``X-API-Key`` must be the fake's ``partner_api_key``; else 403 as the API answers."""
        key = request.headers.get("X-API-Key")
        if key is None:
            return checks.detail(403, "Not authenticated")
        if not hmac.compare_digest(key.encode(), self.fake.partner_api_key.encode()):
            return checks.detail(403, "Invalid API key")
        return None

    # -- handlers --------------------------------------------------------------------------

    async def _list_connectors(self, request: web.Request) -> web.StreamResponse:
        return web.json_response([c.to_json() for c in self.connectors.values()])

    async def _create_connector(self, request: web.Request) -> web.StreamResponse:
        body = await checks.json_object(request)
        if isinstance(body, web.Response):
            return body
        errors: checks.Errors = []
        kind = checks.string(body, "database_type", errors)
        if kind is not None and kind not in _DATABASE_TYPES:
            errors.append(
                checks.err(
                    ["database_type"], "Input should be 'postgres' or 'redshift'", "literal_error"
                )
            )
        host = checks.string(body, "host", errors)
        port = checks.port(body, errors)
        database = checks.string(body, "database", errors)
        username = checks.string(body, "username", errors)
        password = checks.string(body, "password", errors)
        source_name = checks.string(body, "source_name", errors, required=False)
        if errors:
            return checks.invalid(errors)
        assert host is not None and port is not None and kind is not None
        assert database is not None and username is not None and password is not None
        if "unreachable" in host:  # the service tests the connection before saving it
            return checks.detail(500, "connection failed")
        connector = StoredConnector(
            self._id("src"),
            self.user_id,
            kind,
            host,
            port,
            database,
            username,
            source_name,
            password=password,
        )
        self.connectors[connector.source_id] = connector
        return web.json_response(connector.to_json())

    async def _create_space(self, request: web.Request) -> web.StreamResponse:
        body = await checks.json_object(request)
        if isinstance(body, web.Response):
            return body
        errors: checks.Errors = []
        source_id = checks.string(body, "source_id", errors)
        name = checks.string(body, "name", errors)
        customer_id = checks.string(body, "customer_id", errors)
        filters = checks.filters(body.get("filters"), errors)
        if errors:
            return checks.invalid(errors)
        if source_id not in self.connectors:
            return checks.detail(404, "Data source not found")
        space_id = self._id("space")
        space: dict[str, Any] = {
            "space_id": space_id,
            "source_id": source_id,
            "name": name,
            "partner_id": self.partner_id,
            "customer_id": customer_id,
            "filters": filters,
        }
        self.spaces[space_id] = space
        return web.json_response(space)

    async def _list_spaces(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(list(self.spaces.values()))

    async def _embed_token(self, request: web.Request) -> web.StreamResponse:
        body = await checks.json_object(request)
        if isinstance(body, web.Response):
            return body
        errors: checks.Errors = []
        claims = {
            "sub": checks.string(body, "email", errors),
            "name": checks.string(body, "name", errors),
            "customer_id": checks.string(body, "customer_id", errors, required=False),
            "space_id": checks.string(body, "space_id", errors, required=False),
        }
        if errors:
            return checks.invalid(errors)
        if claims["space_id"] is not None and claims["space_id"] not in self.spaces:
            return checks.detail(404, "Space not found")
        now = int(time.time())
        return web.json_response({"token": self._jwt({**claims, "iat": now, "exp": now + 3600})})

    async def _send(self, request: web.Request) -> web.StreamResponse:
        body = await checks.json_object(request)
        if isinstance(body, web.Response):
            return body
        errors: checks.Errors = []
        text = checks.string(body, "text", errors)
        if errors:
            return checks.invalid(errors)
        assert text is not None
        conversation_id = request.match_info["conversation_id"]
        conversation = self.conversations.get(conversation_id)
        if conversation is None:  # the first message starts the conversation
            conversation = self.add_conversation(conversation_id, data_sources=self._sources())
        reply = {
            "text": f"Here is what I found for: {text}",
            "role": "breadcrumb",
            "visualization": None,
        }
        if any(word in text.lower() for word in _VISUAL_WORDS):
            reply["visualization"] = json.dumps({"mark": "bar", "title": text})
        conversation.messages += [{"text": text, "role": "user", "visualization": None}, reply]
        return web.json_response(reply)

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        conversation_id = request.match_info["conversation_id"]
        raw_limit = request.query.get("limit", "100")
        try:
            limit = int(raw_limit)
        except ValueError:
            return checks.invalid(
                [
                    checks.err(
                        ["limit"],
                        "Input should be a valid integer, unable to parse string as an integer",
                        "int_parsing",
                        where="query",
                    )
                ]
            )
        if limit < 1:
            return checks.invalid(
                [
                    checks.err(
                        ["limit"],
                        "Input should be greater than or equal to 1",
                        "greater_than_equal",
                        where="query",
                    )
                ]
            )
        conversation = self.conversations.get(conversation_id)
        if conversation is None:
            return checks.detail(404, "Conversation not found")
        start = 0
        token = request.query.get("next_token")
        if token:
            start = self._offset(token, conversation_id)
            if start < 0:
                return checks.detail(400, "Invalid next_token")
        end = start + limit
        more = end < len(conversation.messages)
        return web.json_response(
            {
                "messages": conversation.messages[start:end],
                "next_token": self._token(conversation_id, end) if more else None,
            }
        )

    async def _get_conversation(self, request: web.Request) -> web.StreamResponse:
        conversation = self.conversations.get(request.match_info["conversation_id"])
        if conversation is None:
            return checks.detail(404, "Conversation not found")
        return web.json_response(
            {
                "conversation_id": conversation.conversation_id,
                "data_sources": conversation.data_sources,
            }
        )

    async def _delete_conversation(self, request: web.Request) -> web.StreamResponse:
        if self.conversations.pop(request.match_info["conversation_id"], None) is None:
            return checks.detail(404, "Conversation not found")
        return web.Response(status=204)

    async def _not_found(self, request: web.Request) -> web.StreamResponse:
        return checks.detail(404, "Not Found")

    # -- internals -------------------------------------------------------------------------

    def _id(self, kind: str) -> str:
        self._counter += 1
        return f"{kind}_{self._counter:06d}"

    def _sources(self) -> list[dict[str, str]]:
        return [
            {"name": c.source_name or c.database, "type": c.database_type}
            for c in self.connectors.values()
        ]

    def _jwt(self, claims: dict[str, Any]) -> str:
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        payload = _b64(
            json.dumps(
                {k: v for k, v in claims.items() if v is not None}, separators=(",", ":")
            ).encode()
        )
        signature = hmac.new(self._signing_key, f"{header}.{payload}".encode(), "sha256").digest()
        return f"{header}.{payload}.{_b64(signature)}"

    def _token(self, conversation_id: str, offset: int) -> str:
        """An opaque page token: the offset, bound to its conversation by a MAC."""
        text = f"{offset}:{conversation_id}"
        mac = hmac.new(self._signing_key, text.encode(), "sha256").hexdigest()[:16]
        return _b64(f"{text}:{mac}".encode())

    def _offset(self, token: str, conversation_id: str) -> int:
        """The offset a page token stands for, or -1 if it is not one of ours for this conversation."""
        try:
            text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            offset = int(text.split(":", 1)[0])
        except (ValueError, UnicodeDecodeError):
            return -1
        return offset if hmac.compare_digest(self._token(conversation_id, offset), token) else -1


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
