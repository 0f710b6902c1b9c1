"""The v2 API keys API on the fake (Bearer auth): an in-memory key store.

Behaves like the service: a mint must be role-scoped (``assumedRoles`` or
``inheritAllRoles``, else 400) and answers 201 with a fresh random secret, shown
once; listings never carry a secret; rotate revokes the key and mints a replacement
with the same name, roles and client metadata; revoking twice is a 400. A minted,
active key is accepted as a Bearer credential on these routes, and a key minted by
a role-scoped key may only narrow its roles (else 403), as the service documents.
"""

from __future__ import annotations

import base64
import datetime as _dt
import secrets
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from textql_async.testing._families import (
    bearer_token,
    denied,
    invalid,
    json_object,
    unauthenticated,
    with_extra_fields,
)
from textql_async.testing._rules import json_error

if TYPE_CHECKING:
    from textql_async.testing._server import FakeTextQL

__all__ = ["ApiKeyRoutes", "StoredApiKey"]

_SCOPES = ("personal", "all", "service_accounts")
_DEFAULT_PAGE_SIZE = 50
_MAX_PAGE_SIZE = 100


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)


def _rfc3339(moment: _dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class StoredApiKey:
    """A key in the fake's store; ``secret`` never leaves it except in a mint/rotate answer."""

    id: str
    member_id: str
    assumed_roles: list[str] = field(default_factory=list)
    inherit_all_roles: bool = False
    full_member_access: bool = False
    name: str | None = None
    client_id: str | None = None
    expiry_seconds: int | None = None
    created_at: _dt.datetime = field(default_factory=_now)
    expires_at: _dt.datetime | None = None
    revoked: bool = False
    status_override: str | None = None
    secret: str = field(default="", repr=False)

    @property
    def status(self) -> str:
        """``revoked``, ``expired`` (past ``expires_at``) or ``active`` (unless overridden)."""
        if self.status_override is not None:
            return self.status_override
        if self.revoked:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= _now():
            return "expired"
        return "active"

    def json(self) -> dict[str, Any]:
        """The ``PlatformApiKey`` view: never the secret; unset fields are left out."""
        body: dict[str, Any] = {
            "id": self.id,
            "member_id": self.member_id,
            "assumed_roles": list(self.assumed_roles),
            "status": self.status,
            "created_at": _rfc3339(self.created_at),
        }
        if self.name is not None:
            body["name"] = self.name
        if self.client_id is not None:
            body["client_id"] = self.client_id
        if self.expires_at is not None:
            body["expires_at"] = _rfc3339(self.expires_at)
        return body


class ApiKeyRoutes:
    """``/v2/api-keys*`` with a key store that behaves like the service.

    - ``store``: the keys by id (secrets included, for assertions).
    - ``bodies``: every JSON request body received, in order.
    - ``service_accounts``: member ids a key may be minted for (``targetMemberId``).
    - ``extra_fields``: added to every JSON object answered, to check clients ignore them.
    """

    prefix: str | tuple[str, ...] = "/v2/api-keys"

    def __init__(self, fake: FakeTextQL) -> None:
        self.fake = fake
        self.store: dict[str, StoredApiKey] = {}
        self.bodies: list[Any] = []
        self.service_accounts: set[str] = set()
        self.extra_fields: dict[str, Any] = {}

    # -- helpers for tests -----------------------------------------------------------------

    def seed(
        self,
        *,
        assumed_roles: list[str] | None = None,
        member_id: str | None = None,
        name: str | None = None,
        client_id: str | None = None,
        expires_in: float | None = None,
        revoked: bool = False,
        status: str | None = None,
    ) -> StoredApiKey:
        """Store a key directly (``status`` forces any status string, known or not)."""
        key = StoredApiKey(
            id=str(uuid.uuid4()),
            member_id=member_id or self.fake.member_id,
            assumed_roles=list(assumed_roles or []),
            inherit_all_roles=not assumed_roles,
            name=name,
            client_id=client_id,
            revoked=revoked,
            status_override=status,
            secret=_new_secret(),
        )
        if expires_in is not None:
            key.expires_at = key.created_at + _dt.timedelta(seconds=expires_in)
        self.store[key.id] = key
        return key

    def expire(self, key_id: str) -> None:
        """Make a key expired now (its secret stops working)."""
        self.store[key_id].expires_at = _now() - _dt.timedelta(seconds=1)

    def by_secret(self, secret: str) -> StoredApiKey | None:
        """The stored key whose secret this is, active or not."""
        return next((k for k in self.store.values() if k.secret and k.secret == secret), None)

    def accepts(self, token: str) -> bool:
        """Whether ``token`` is a valid Bearer credential: the fake's key or an active minted one."""
        if token == self.fake.api_key:
            return True
        key = self.by_secret(token)
        return key is not None and key.status == "active"

    # -- family protocol -------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        """Register this family's handlers."""
        app.router.add_post("/v2/api-keys", self._mint)
        app.router.add_get("/v2/api-keys", self._list)
        app.router.add_post("/v2/api-keys/{id}/rotate", self._rotate)
        app.router.add_delete("/v2/api-keys/{id}", self._revoke)

    def authorize(self, request: web.Request) -> web.StreamResponse | None:
        """``Authorization: Bearer <key>``: the fake's own key or an active minted one."""
        token = bearer_token(request)
        return None if token is not None and self.accepts(token) else unauthenticated()

    # -- handlers --------------------------------------------------------------------------

    async def _mint(self, request: web.Request) -> web.StreamResponse:
        caller = self._caller(request)
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        checked = _check_mint(body)
        if isinstance(checked, web.Response):
            return checked
        roles, inherit = checked["assumedRoles"], checked["inheritAllRoles"]
        target = checked["targetMemberId"]
        if target is not None and target not in self.service_accounts:
            return invalid(f"targetMemberId {target!r} is not a service account")
        if caller is not None and not caller.inherit_all_roles:
            if inherit or not set(roles) <= set(caller.assumed_roles):
                return denied("a key minted by an API key may only narrow its role scope")
            if target is not None:
                return denied("minting for another member requires organization:write")
        if caller is not None and checked["fullMemberAccess"] and not caller.full_member_access:
            return denied("fullMemberAccess requires a caller key with full member access")
        key = StoredApiKey(
            id=str(uuid.uuid4()),
            member_id=target or (caller.member_id if caller else self.fake.member_id),
            assumed_roles=roles,
            inherit_all_roles=inherit,
            full_member_access=bool(checked["fullMemberAccess"]),
            name=checked["name"],
            client_id=checked["clientId"],
            expiry_seconds=checked["expirySeconds"],
        )
        return self._issue(key, status=201)

    async def _list(self, request: web.Request) -> web.StreamResponse:
        caller = self._caller(request)
        query = request.query
        scope = query.get("scope")
        restricted = caller is not None and not caller.inherit_all_roles
        if scope is not None and scope not in _SCOPES:
            return invalid(f"scope must be one of {_SCOPES}")
        if scope in ("all", "service_accounts") and restricted:
            return denied(f"scope {scope!r} requires organization:read")
        scope = scope or ("personal" if restricted else "all")
        include_revoked = query.get("include_revoked", "false")
        if include_revoked not in ("true", "false"):
            return invalid("include_revoked must be true or false")
        size = _parse_int(query.get("page_size", str(_DEFAULT_PAGE_SIZE)))
        if size is None or size < 1:
            return invalid("page_size must be a positive integer")
        start = _decode_token(query.get("page_token"))
        if start is None:
            return invalid("page_token is not a token from a previous page")
        me = caller.member_id if caller else self.fake.member_id
        keys = [
            k
            for k in self.store.values()
            if (include_revoked == "true" or k.status != "revoked")
            and (scope != "personal" or k.member_id == me)
            and (scope != "service_accounts" or k.member_id in self.service_accounts)
        ]
        end = start + min(size, _MAX_PAGE_SIZE)
        page: dict[str, Any] = {"api_keys": [k.json() for k in keys[start:end]]}
        if end < len(keys):
            page["next_page_token"] = _encode_token(end)
        return self._json(page)

    async def _rotate(self, request: web.Request) -> web.StreamResponse:
        old = self._revoke_target(request)
        if isinstance(old, web.Response):
            return old
        new = StoredApiKey(
            id=str(uuid.uuid4()),
            member_id=old.member_id,
            assumed_roles=list(old.assumed_roles),
            inherit_all_roles=old.inherit_all_roles,
            full_member_access=old.full_member_access,
            name=old.name,
            client_id=old.client_id,
            expiry_seconds=old.expiry_seconds,
        )
        return self._issue(new, status=200, revoked_api_key_id=old.id)

    async def _revoke(self, request: web.Request) -> web.StreamResponse:
        key = self._revoke_target(request)
        if isinstance(key, web.Response):
            return key
        return self._json({"id": key.id, "success": True})

    # -- internals -------------------------------------------------------------------------

    def _issue(self, key: StoredApiKey, *, status: int, **extra: Any) -> web.Response:
        """Store a new key with a fresh secret and answer it, secret included, this once."""
        key.secret = _new_secret()
        if key.expiry_seconds is not None:
            key.expires_at = key.created_at + _dt.timedelta(seconds=key.expiry_seconds)
        self.store[key.id] = key
        return self._json({"key": key.secret, "api_key": key.json(), **extra}, status=status)

    def _json(self, body: dict[str, Any], status: int = 200) -> web.Response:
        return web.json_response(with_extra_fields(body, self.extra_fields), status=status)

    def _caller(self, request: web.Request) -> StoredApiKey | None:
        """The minted key making this request, or ``None`` for the fake's own (admin) key."""
        token = bearer_token(request) or ""  # authorized: a Bearer token
        return None if token == self.fake.api_key else self.by_secret(token)

    def _target(self, request: web.Request) -> StoredApiKey | web.Response:
        key = self.store.get(request.match_info["id"])
        if key is None:
            return json_error(404, "not_found", f"API key {request.match_info['id']} not found")
        caller = self._caller(request)
        if (
            caller is not None
            and not caller.inherit_all_roles
            and key.member_id != caller.member_id
        ):
            return denied("managing another member's key requires organization:write")
        return key

    def _revoke_target(self, request: web.Request) -> StoredApiKey | web.Response:
        """Revoke the key of ``{id}`` (rotate and revoke both do), or the error response."""
        key = self._target(request)
        if isinstance(key, web.Response):
            return key
        if key.status == "revoked":
            return invalid(f"API key {key.id} is already revoked")
        key.revoked = True
        return key

    async def _body(self, request: web.Request) -> dict[str, Any] | web.Response:
        return await json_object(request, self.bodies.append)


def _check_mint(body: dict[str, Any]) -> dict[str, Any] | web.Response:
    """The ``CreateApiKeyRequest`` fields, checked as the service checks them."""
    roles = body.get("assumedRoles") or []
    if not isinstance(roles, list) or not all(isinstance(r, str) and r for r in roles):
        return invalid("assumedRoles must be an array of role ids")
    inherit = body.get("inheritAllRoles", False)
    if not isinstance(inherit, bool):
        return invalid("inheritAllRoles must be a boolean")
    if not roles and not inherit:
        return invalid("a key must be role-scoped: set assumedRoles or inheritAllRoles")
    expiry = body.get("expirySeconds")
    if expiry is not None and (
        isinstance(expiry, bool) or not isinstance(expiry, int) or expiry <= 0
    ):
        return invalid("expirySeconds must be a positive integer")
    for name in ("name", "clientId", "targetMemberId"):
        if body.get(name) is not None and not isinstance(body[name], str):
            return invalid(f"{name} must be a string")
    full = body.get("fullMemberAccess")
    if full is not None and not isinstance(full, bool):
        return invalid("fullMemberAccess must be a boolean")
    return {
        "assumedRoles": list(roles),
        "inheritAllRoles": inherit,
        "expirySeconds": expiry,
        "name": body.get("name"),
        "clientId": body.get("clientId"),
        "targetMemberId": body.get("targetMemberId"),
        "fullMemberAccess": full,
    }


def _new_secret() -> str:
    return "tqlk_" + secrets.token_urlsafe(32)


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"keys:{offset}".encode()).decode().rstrip("=")


def _decode_token(token: str | None) -> int | None:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    prefix, _, number = text.partition(":")
    offset = _parse_int(number) if prefix == "keys" else None
    return offset if offset is not None and offset >= 0 else None


def _parse_int(text: str) -> int | None:
    return int(text) if text.isdigit() else None
