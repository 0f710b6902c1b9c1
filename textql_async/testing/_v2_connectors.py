"""The v2 connectors API on the fake (Bearer auth): an in-memory connector store.

Behaves like the service: create validates the config (400) and names (409), secrets
are stored but never returned, updates and tests with a ``connector_id`` keep stored
secrets that are sent blank, and a test against a host containing ``unreachable``
fails as data (``{"success": false, "error": ...}``), not as an HTTP error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from aiohttp import web

from textql_async.testing._families import BearerFamily, invalid, json_object
from textql_async.testing._rules import json_error
from textql_async.testing._v2_connectors_config import (
    CheckedConfig,
    ConfigError,
    check_config,
    types_json,
)

if TYPE_CHECKING:
    from textql_async.testing._server import FakeTextQL

__all__ = ["ConnectorRoutes", "ReceivedBody", "StoredConnector"]

_INT32_MAX = 2**31 - 1
_ACCESS_TYPES = ("owner", "editor", "viewer")
_PRINCIPALS = ("member_id", "role_id", "group_id")


class ReceivedBody(NamedTuple):
    """A JSON body this family received (secrets included: it is what went on the wire)."""

    method: str
    path: str
    json: Any

    @classmethod
    def of(cls, request: web.Request, body: Any) -> ReceivedBody:
        """What ``request`` carried: its method, path and decoded ``body``."""
        return cls(request.method, request.path, body)


@dataclass
class StoredConnector:
    """A connector in the fake's store; ``metadata`` holds the secrets and never leaves it."""

    id: int
    name: str
    type: str
    auth_strategy: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict, repr=False)
    is_public: bool = True
    grants: list[dict[str, str]] = field(default_factory=list)
    system: bool = False
    allow_sql_write_operations: bool = False
    include_db_session_metadata: bool = False

    def json(self) -> dict[str, Any]:
        """The public view (``Connector``): id, name, type, never the config."""
        return {"id": self.id, "name": self.name, "type": self.type}

    def access_json(self) -> dict[str, Any]:
        """The ``ConnectorAccess`` view."""
        return {"is_public": self.is_public, "grants": [dict(g) for g in self.grants]}


class ConnectorRoutes(BearerFamily):
    """``/v2/connectors*`` with a store that behaves like the service."""

    prefix = "/v2/connectors"

    def __init__(self, fake: FakeTextQL) -> None:
        self.fake = fake
        self.store: dict[int, StoredConnector] = {}
        """The connectors by id (secrets included, for assertions)."""
        self.bodies: list[ReceivedBody] = []
        """Every JSON body received, in order (the request bodies on the wire)."""
        self.tested: list[dict[str, Any]] = []
        """The complete metadata each connection test used (after filling blank secrets)."""
        self._next_id = 1

    # -- helpers for tests -----------------------------------------------------------------

    def seed(
        self,
        name: str,
        connector_type: str = "POSTGRES",
        *,
        metadata: dict[str, Any] | None = None,
        system: bool = False,
    ) -> StoredConnector:
        """Store a connector directly, unvalidated (any type; ``system`` ones cannot be deleted)."""
        stored = StoredConnector(
            id=self._new_id(),
            name=name,
            type=connector_type,
            metadata=dict(metadata or {}),
            grants=[self._owner_grant()],
            system=system,
        )
        self.store[stored.id] = stored
        return stored

    def get(self, connector_id: int) -> StoredConnector | None:
        """The stored connector with this id, if any."""
        return self.store.get(connector_id)

    # -- family protocol -------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        """Register this family's handlers."""
        app.router.add_get("/v2/connectors", self._list)
        app.router.add_post("/v2/connectors", self._create)
        app.router.add_get("/v2/connectors/types", self._types)
        app.router.add_post("/v2/connectors/test", self._test)
        app.router.add_patch("/v2/connectors/{id}", self._update)
        app.router.add_delete("/v2/connectors/{id}", self._delete)
        app.router.add_get("/v2/connectors/{id}/access", self._get_access)
        app.router.add_put("/v2/connectors/{id}/access", self._put_access)

    # -- handlers --------------------------------------------------------------------------

    async def _list(self, request: web.Request) -> web.StreamResponse:
        return web.json_response([c.json() for c in self.store.values()])

    async def _types(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(types_json())

    async def _create(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        try:
            checked = check_config(body.get("config"), None)
        except ConfigError as exc:
            return invalid(str(exc))
        grants = [self._owner_grant()]
        is_public = True
        if body.get("access") is not None:
            parsed = self._parse_access(body["access"])
            if isinstance(parsed, web.Response):
                return parsed
            is_public, grants = parsed
        if self._named(checked.name) is not None:
            return json_error(409, "conflict", f"a connector named {checked.name!r} already exists")
        stored = StoredConnector(id=self._new_id(), name=checked.name, type=checked.connector_type)
        _apply(stored, checked)
        stored.is_public, stored.grants = is_public, grants
        self.store[stored.id] = stored
        return web.json_response(stored.json(), status=201)

    async def _test(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        stored: StoredConnector | None = None
        raw_id = body.get("connector_id")
        if raw_id is not None and raw_id != "":
            connector_id = _parse_id(raw_id)
            if connector_id is None:
                return invalid("connector_id must be a positive int32")
            stored = self.store.get(connector_id)
            if stored is None:
                return _not_found(connector_id)
        try:
            checked = check_config(body.get("config"), stored.metadata if stored else None)
        except ConfigError as exc:
            return invalid(str(exc))
        self.tested.append(dict(checked.metadata))
        host = str(checked.metadata.get("host") or checked.metadata.get("locator") or "")
        if "unreachable" in host:
            port = checked.metadata.get("port")
            where = f"{host}:{port}" if port else host
            error = f"could not connect to {where}: connection timed out"
            return web.json_response({"success": False, "error": error})
        return web.json_response({"success": True})

    async def _update(self, request: web.Request) -> web.StreamResponse:
        stored = self._target(request)
        if isinstance(stored, web.Response):
            return stored
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        try:
            checked = check_config(body.get("config"), stored.metadata)
        except ConfigError as exc:
            return invalid(str(exc))
        if checked.connector_type != stored.type:
            return invalid(f"connector_type must match the stored connector's type {stored.type}")
        other = self._named(checked.name)
        if other is not None and other.id != stored.id:
            return invalid(f"a connector named {checked.name!r} already exists")
        flags = {}
        for flag in ("allow_sql_write_operations", "include_db_session_metadata"):
            value = body.get(flag)
            if value is not None and not isinstance(value, bool):
                return invalid(f"{flag} must be a boolean")
            flags[flag] = value
        _apply(stored, checked)
        for flag, value in flags.items():
            if value is not None:
                setattr(stored, flag, value)
        return web.json_response(stored.json())

    async def _delete(self, request: web.Request) -> web.StreamResponse:
        stored = self._target(request)
        if isinstance(stored, web.Response):
            return stored
        if stored.system:
            return invalid("system connectors cannot be deleted")
        del self.store[stored.id]
        return web.json_response({"id": stored.id, "success": True})

    async def _get_access(self, request: web.Request) -> web.StreamResponse:
        stored = self._target(request)
        if isinstance(stored, web.Response):
            return stored
        return web.json_response(stored.access_json())

    async def _put_access(self, request: web.Request) -> web.StreamResponse:
        stored = self._target(request)
        if isinstance(stored, web.Response):
            return stored
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        parsed = self._parse_access(body)
        if isinstance(parsed, web.Response):
            return parsed  # validated up front: a failed request leaves access unchanged
        stored.is_public, stored.grants = parsed
        return web.json_response(stored.access_json())

    # -- internals -------------------------------------------------------------------------

    async def _body(self, request: web.Request) -> dict[str, Any] | web.Response:
        return await json_object(
            request, lambda body: self.bodies.append(ReceivedBody.of(request, body))
        )

    def _target(self, request: web.Request) -> StoredConnector | web.Response:
        connector_id = _parse_id(request.match_info["id"])
        if connector_id is None:
            return invalid("connector id must be a positive int32")
        stored = self.store.get(connector_id)
        return stored if stored is not None else _not_found(connector_id)

    def _parse_access(self, raw: object) -> tuple[bool, list[dict[str, str]]] | web.Response:
        if not isinstance(raw, dict) or not isinstance(raw.get("is_public"), bool):
            return invalid("access.is_public is required and must be a boolean")
        grants_raw = raw.get("grants") or []
        if not isinstance(grants_raw, list):
            return invalid("access.grants must be an array")
        owner = self._owner_grant()
        grants = [owner]
        seen = {("member_id", owner["member_id"], "owner")}
        for index, grant in enumerate(grants_raw):
            if not isinstance(grant, dict) or grant.get("access_type") not in _ACCESS_TYPES:
                return invalid(f"grants[{index}].access_type must be one of {_ACCESS_TYPES}")
            named = [p for p in _PRINCIPALS if grant.get(p)]
            if len(named) != 1 or not isinstance(grant[named[0]], str):
                return invalid(f"grants[{index}] must set exactly one of {_PRINCIPALS}")
            principal, access_type = named[0], grant["access_type"]
            if (principal, grant[principal], access_type) in seen:
                continue
            seen.add((principal, grant[principal], access_type))
            grants.append(
                {
                    principal: grant[principal],
                    "access_type": access_type,
                    "granted_by": self.fake.member_id,
                }
            )
        return raw["is_public"], grants

    def _owner_grant(self) -> dict[str, str]:
        """The caller's owner grant: always given on create and kept by a PUT."""
        member = self.fake.member_id
        return {"member_id": member, "access_type": "owner", "granted_by": member}

    def _named(self, name: str) -> StoredConnector | None:
        return next((c for c in self.store.values() if c.name == name), None)

    def _new_id(self) -> int:
        connector_id, self._next_id = self._next_id, self._next_id + 1
        return connector_id


def _apply(stored: StoredConnector, checked: CheckedConfig) -> None:
    stored.name = checked.name
    stored.auth_strategy = checked.auth_strategy
    stored.metadata = dict(checked.metadata)


def _parse_id(raw: object) -> int | None:
    """A positive int32 from a path segment or a JSON number / numeric string."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        if not raw.isdigit():
            return None
        raw = int(raw)
    if not isinstance(raw, int) or not 0 < raw <= _INT32_MAX:
        return None
    return raw


def _not_found(connector_id: int) -> web.Response:
    return json_error(404, "not_found", f"connector {connector_id} not found")
