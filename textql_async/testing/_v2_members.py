"""The v2 members and roles API on the fake (Bearer auth): in-memory members and RBAC roles.

Behaves like the service: an invitation creates a pending member at once (with the
built-in role its system role names), a soft delete hides a member from the list and
a hard delete purges it, role assignments show up in the member's role names, and the
built-in roles ``admin`` and ``member`` always exist. Only documented statuses are
sent: an unknown member is a 400 (the member routes document no 404), an unknown
role on ``PATCH /v2/roles/{id}`` a 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from textql_async.testing._families import BearerFamily, invalid, read_json
from textql_async.testing._rules import json_error
from textql_async.testing._v2_changes import ReceivedRequest

if TYPE_CHECKING:
    from textql_async.testing._server import FakeTextQL

__all__ = ["MemberRoutes", "StoredMember", "StoredRole"]

_SYSTEM_ROLES = ("admin", "member")


@dataclass
class StoredRole:
    """An RBAC role; the model settings are stored but not part of the ``Role`` view."""

    id: str
    name: str
    description: str = ""
    is_system: bool = False
    is_scim_managed: bool = False
    created_at: str = ""
    updated_at: str = ""
    default_model_id: int | None = None
    allowed_model_ids: list[int] | None = None
    allow_model_choice: bool = True

    def json(self) -> dict[str, Any]:
        """The ``Role`` view."""
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "is_system": self.is_system,
            "is_scim_managed": self.is_scim_managed,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
        if self.description:
            body["description"] = self.description
        return body


@dataclass
class StoredMember:
    """A member; ``pending`` until the invitation is accepted, ``deleted`` after a soft delete."""

    id: str
    email: str
    name: str | None = None
    role_ids: list[str] = field(default_factory=list)
    is_service_account: bool = False
    is_scim_managed: bool = False
    created_at: str = ""
    pending: bool = False
    deleted: bool = False


class MemberRoutes(BearerFamily):
    """``/v2/members*`` and ``/v2/roles*`` with stores that behave like the service."""

    prefix: str | tuple[str, ...] = ("/v2/members", "/v2/roles")

    def __init__(self, fake: FakeTextQL) -> None:
        self.fake = fake
        self.members: dict[str, StoredMember] = {}
        """Every member by id, soft-deleted ones included (hard-deleted ones are gone)."""
        self.roles: dict[str, StoredRole] = {}
        """Every role by id: the built-in ones first."""
        self.received: list[ReceivedRequest] = []
        """Every request this family answered, in order (query and body as sent)."""
        for name in _SYSTEM_ROLES:
            self.seed_role(name, description=f"Built-in {name} role", system=True)

    # -- helpers for tests -----------------------------------------------------------------

    def seed_member(
        self,
        email: str,
        *,
        name: str | None = None,
        roles: tuple[str, ...] = ("member",),
        service_account: bool = False,
        scim: bool = False,
    ) -> StoredMember:
        """Store an active member holding the roles with these names."""
        member = StoredMember(
            id=str(uuid.uuid4()),
            email=email,
            name=name,
            role_ids=[self.role_named(r).id for r in roles],
            is_service_account=service_account,
            is_scim_managed=scim,
            created_at=_now(),
        )
        self.members[member.id] = member
        return member

    def seed_role(
        self, name: str, *, description: str = "", system: bool = False, scim: bool = False
    ) -> StoredRole:
        """Store a role (``system`` ones are built in: their name cannot change)."""
        now = _now()
        role = StoredRole(str(uuid.uuid4()), name, description, system, scim, now, now)
        self.roles[role.id] = role
        return role

    def role_named(self, name: str) -> StoredRole:
        """The role with this name (``KeyError`` if none)."""
        found = next((r for r in self.roles.values() if r.name == name), None)
        if found is None:
            raise KeyError(name)
        return found

    def member_by_email(self, email: str) -> StoredMember | None:
        """The stored member with this email (case-insensitive), deleted or not."""
        wanted = email.lower()
        return next((m for m in self.members.values() if m.email.lower() == wanted), None)

    def role_names(self, member: StoredMember) -> list[str]:
        """The names of a member's roles, as ``Member.roles`` shows them."""
        return [self.roles[r].name for r in member.role_ids if r in self.roles]

    # -- family protocol -------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        """Register this family's handlers."""
        app.router.add_get("/v2/members", self._list_members)
        app.router.add_post("/v2/members/invite", self._invite)
        app.router.add_delete("/v2/members/{id}", self._remove)
        app.router.add_get("/v2/members/{id}/roles", self._member_roles)
        app.router.add_post("/v2/members/{id}/roles", self._assign)
        app.router.add_delete("/v2/members/{id}/roles/{roleId}", self._unassign)
        app.router.add_get("/v2/roles", self._list_roles)
        app.router.add_post("/v2/roles", self._create_role)
        app.router.add_patch("/v2/roles/{id}", self._update_role)

    # -- members ---------------------------------------------------------------------------

    async def _list_members(self, request: web.Request) -> web.StreamResponse:
        await self._body(request)
        listed = [
            self._member_json(m)
            for m in self.members.values()
            if not m.deleted and not m.is_service_account  # human members only
        ]
        return web.json_response({"members": listed})

    async def _invite(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        if not isinstance(body, dict):
            return invalid("the body must be a JSON object")
        email = body.get("email")
        if not isinstance(email, str) or "@" not in email.strip(" @"):
            return invalid("email must be an email address")
        system_role = body.get("role", "member")
        if system_role not in _SYSTEM_ROLES:
            return invalid("role must be 'member' or 'admin'")
        existing = self.member_by_email(email)
        if existing is not None and not existing.deleted:
            return invalid(f"{email} is already a member of this organization")
        member = existing or StoredMember(str(uuid.uuid4()), email.strip(), created_at=_now())
        member.deleted, member.pending = False, True
        member.role_ids = [self.role_named(system_role).id]
        self.members[member.id] = member
        return web.json_response({"success": True})

    async def _remove(self, request: web.Request) -> web.StreamResponse:
        await self._body(request)
        member = self._member(request)
        if isinstance(member, web.Response):
            return member
        hard = request.query.get("hard_delete", "false").lower()
        if hard not in ("true", "false", "1", "0"):
            return invalid("hard_delete must be true or false")
        if hard in ("true", "1"):
            del self.members[member.id]
        else:
            member.deleted = True
        return web.json_response({"id": member.id, "success": True})

    async def _member_roles(self, request: web.Request) -> web.StreamResponse:
        await self._body(request)
        member = self._member(request, active=True)
        if isinstance(member, web.Response):
            return member
        roles = [self.roles[r].json() for r in member.role_ids if r in self.roles]
        return web.json_response({"member_id": member.id, "roles": roles})

    async def _assign(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        member = self._member(request, active=True, mutable=True)
        if isinstance(member, web.Response):
            return member
        role_id = body.get("roleId") if isinstance(body, dict) else None
        if not isinstance(role_id, str) or not role_id:
            return invalid("roleId is required")
        if role_id not in self.roles:
            return invalid(f"role {role_id} not found")
        if role_id not in member.role_ids:
            member.role_ids.append(role_id)
        return web.json_response({"member_id": member.id, "role_id": role_id, "success": True})

    async def _unassign(self, request: web.Request) -> web.StreamResponse:
        await self._body(request)
        member = self._member(request, active=True, mutable=True)
        if isinstance(member, web.Response):
            return member
        role_id = request.match_info["roleId"]
        if role_id not in self.roles:
            return invalid(f"role {role_id} not found")
        if role_id in member.role_ids:
            member.role_ids.remove(role_id)
        return web.json_response({"member_id": member.id, "role_id": role_id, "success": True})

    # -- roles -----------------------------------------------------------------------------

    async def _list_roles(self, request: web.Request) -> web.StreamResponse:
        await self._body(request)
        return web.json_response({"roles": [r.json() for r in self.roles.values()]})

    async def _create_role(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        if not isinstance(body, dict):
            return invalid("the body must be a JSON object")
        name, description = body.get("name"), body.get("description", "")
        if not isinstance(name, str) or not name.strip():
            return invalid("name is required")
        if not isinstance(description, str):
            return invalid("description must be a string")
        if self._name_taken(name, None):
            return invalid(f"a role named {name!r} already exists")
        role = self.seed_role(name.strip(), description=description)
        return web.json_response(role.json(), status=201)

    async def _update_role(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        if not _is_uuid(request.match_info["id"]):
            return invalid("role id must be a UUID")
        role = self.roles.get(request.match_info["id"])
        if role is None:
            return json_error(404, "not_found", f"role {request.match_info['id']} not found")
        if not isinstance(body, dict):
            return invalid("the body must be a JSON object")
        problem = self._check_update(role, body)
        if problem is not None:
            return invalid(problem)
        if "name" in body:
            role.name = body["name"].strip()
        if "description" in body:
            role.description = body["description"]
        if "default_model_id" in body:
            role.default_model_id = body["default_model_id"] or None  # 0 clears it
        if "allowed_model_ids" in body:
            role.allowed_model_ids = list(body["allowed_model_ids"])
        if body.get("clear_allowed_model_ids") is True:
            role.allowed_model_ids = None
        if "allow_model_choice" in body:
            role.allow_model_choice = body["allow_model_choice"]
        role.updated_at = _now()
        return web.json_response(role.json())

    # -- internals -------------------------------------------------------------------------

    def _check_update(self, role: StoredRole, body: dict[str, Any]) -> str | None:
        """Why an update body is invalid, or ``None``: checked whole, so a 400 changes nothing."""
        name = body.get("name")
        if "name" in body:
            if not isinstance(name, str) or not name.strip():
                return "name must be a non-empty string"
            if (role.is_system or role.is_scim_managed) and name.strip() != role.name:
                return f"role {role.name!r} is built in or SCIM-managed: its name cannot change"
            if self._name_taken(name, role.id):
                return f"a role named {name!r} already exists"
        if "description" in body and not isinstance(body["description"], str):
            return "description must be a string"
        default = body.get("default_model_id", 0)
        if not _is_int(default) or default < 0:
            return "default_model_id must be a non-negative integer"
        allowed = body.get("allowed_model_ids", [])
        if not isinstance(allowed, list) or not all(_is_int(v) and v > 0 for v in allowed):
            return "allowed_model_ids must be an array of positive integers"
        for flag in ("allow_model_choice", "clear_allowed_model_ids"):
            if flag in body and not isinstance(body[flag], bool):
                return f"{flag} must be a boolean"
        if body.get("clear_allowed_model_ids") is True and "allowed_model_ids" in body:
            return "allowed_model_ids and clear_allowed_model_ids cannot be combined"
        return None

    def _member(
        self, request: web.Request, *, active: bool = False, mutable: bool = False
    ) -> StoredMember | web.Response:
        member_id = request.match_info["id"]
        if not _is_uuid(member_id):
            return invalid("member id must be a UUID")
        member = self.members.get(member_id)
        if member is None or (active and member.deleted):
            return invalid(f"member {member_id} not found")
        if mutable and member.is_service_account:
            return invalid("service-account roles are immutable")
        return member

    def _member_json(self, member: StoredMember) -> dict[str, Any]:
        names = self.role_names(member)
        body: dict[str, Any] = {
            "id": member.id,
            "email": member.email,
            "roles": names,
            "is_admin": "admin" in names,
            "is_service_account": member.is_service_account,
            "is_scim_managed": member.is_scim_managed,
            "created_at": member.created_at,
        }
        if member.name:
            body["name"] = member.name
        return body

    def _name_taken(self, name: str, except_id: str | None) -> bool:
        wanted = name.strip().lower()
        return any(r.name.lower() == wanted and r.id != except_id for r in self.roles.values())

    async def _body(self, request: web.Request) -> Any:
        body = await read_json(request)
        self.received.append(ReceivedRequest.of(request, body))
        return body


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
