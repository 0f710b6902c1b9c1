"""``client.members`` and ``client.roles``: organization members and RBAC roles.

Members are listed, invited by email and removed (soft by default); RBAC roles are
assigned to and removed from a member by role *id* (``Member.roles`` holds names).
Every argument is checked before a request, so a typo never reaches the server.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from textql_async._config import Timeout, as_timeout
from textql_async._options import RequestOptions
from textql_async._transport import Transport
from textql_async.models.members import (
    InviteMemberResult,
    InviteRole,
    Member,
    MemberRoleResult,
    RemoveMemberResult,
    Role,
    invite_decoder,
    member_role_decoder,
    members_decoder,
    remove_decoder,
    role_decoder,
    roles_decoder,
)
from textql_async.resources._base import Resource, decode_response, require_text

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["MembersResource", "RolesResource"]

_INT32_MAX = 2**31 - 1


class MembersResource(Resource, family="members"):
    """Members: list, invite, remove, and the RBAC roles of each member."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def list(
        self, *, timeout: Timeout | float | None = None, **options: Unpack[RequestOptions]
    ) -> builtins.list[Member]:
        """The organization's human members, each with its role names.

        ``emails = [m.email for m in await client.members.list()]``
        """
        response = await self._transport.request(
            "GET", "/v2/members", timeout=_timeout(timeout), **options
        )
        return decode_response(response, members_decoder.decode).members

    async def invite(
        self,
        email: str,
        *,
        role: InviteRole | None = None,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> InviteMemberResult:
        """Invite someone by email; the member exists at once and gets an invitation email.

        ``role`` is the system role, ``member`` (the server's default) or ``admin``;
        RBAC roles are assigned afterwards with :meth:`assign`.

        ``await client.members.invite("jane@acme.example", role="member")``
        """
        body: dict[str, Any] = {"email": _email(email)}
        if role is not None:
            body["role"] = require_text("role", role)
        response = await self._transport.request(
            "POST",
            "/v2/members/invite",
            json=body,
            timeout=_timeout(timeout),
            idempotent=False,
            **options,
        )
        return decode_response(response, invite_decoder.decode)

    async def remove(
        self,
        member_id: str,
        *,
        hard_delete: bool = False,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> RemoveMemberResult:
        """Remove a member: a soft delete, or a permanent purge with ``hard_delete=True``.

        ``await client.members.remove(member.id)``
        """
        if not isinstance(hard_delete, bool):
            raise TypeError(f"hard_delete must be a bool, got {type(hard_delete).__name__}")
        response = await self._transport.request(
            "DELETE",
            f"/v2/members/{_path('member_id', member_id)}",
            params={"hard_delete": True if hard_delete else None},
            timeout=_timeout(timeout),
            **options,
        )
        return decode_response(response, remove_decoder.decode)

    async def roles(
        self,
        member_id: str,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> builtins.list[Role]:
        """The RBAC roles assigned to a member (with their ids).

        ``names = {r.name: r.id for r in await client.members.roles(member.id)}``
        """
        path = f"/v2/members/{_path('member_id', member_id)}/roles"
        response = await self._transport.request("GET", path, timeout=_timeout(timeout), **options)
        return decode_response(response, roles_decoder.decode).roles

    async def assign(
        self,
        member_id: str,
        role_id: str,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> MemberRoleResult:
        """Assign an RBAC role to a member (service accounts' roles cannot change this way).

        ``await client.members.assign(member.id, role.id)``
        """
        path = f"/v2/members/{_path('member_id', member_id)}/roles"
        body = {"roleId": require_text("role_id", role_id)}  # camelCase on the wire
        # a role is held or not: re-sending an assignment changes nothing, so retry it
        response = await self._transport.request(
            "POST",
            path,
            json=body,
            timeout=_timeout(timeout),
            idempotent=True,
            **options,
        )
        return decode_response(response, member_role_decoder.decode)

    async def unassign(
        self,
        member_id: str,
        role_id: str,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> MemberRoleResult:
        """Remove an RBAC role from a member.

        ``await client.members.unassign(member.id, role.id)``
        """
        path = f"/v2/members/{_path('member_id', member_id)}/roles/{_path('role_id', role_id)}"
        response = await self._transport.request(
            "DELETE", path, timeout=_timeout(timeout), **options
        )
        return decode_response(response, member_role_decoder.decode)


class RolesResource(Resource, family="roles"):
    """RBAC roles: list, create, update (name, description, model settings)."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def list(
        self, *, timeout: Timeout | float | None = None, **options: Unpack[RequestOptions]
    ) -> builtins.list[Role]:
        """Every role of the organization, the built-in system roles included.

        ``ids = {r.name: r.id for r in await client.roles.list()}``
        """
        response = await self._transport.request(
            "GET", "/v2/roles", timeout=_timeout(timeout), **options
        )
        return decode_response(response, roles_decoder.decode).roles

    async def create(
        self,
        name: str,
        *,
        description: str | None = None,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> Role:
        """Create a custom role (unique name; it starts with no permissions).

        ``role = await client.roles.create("analyst", description="Read-only analytics")``
        """
        body: dict[str, Any] = {"name": require_text("name", name)}
        if description is not None:
            body["description"] = _str("description", description)
        response = await self._transport.request(
            "POST",
            "/v2/roles",
            json=body,
            timeout=_timeout(timeout),
            idempotent=False,
            **options,
        )
        return decode_response(response, role_decoder.decode)

    async def update(
        self,
        role_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        default_model_id: int | None = None,
        allowed_model_ids: Sequence[int] | None = None,
        allow_model_choice: bool | None = None,
        clear_allowed_model_ids: bool | None = None,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> Role:
        """Change a role; arguments left ``None`` keep their stored values.

        ``default_model_id=0`` clears the default model; ``clear_allowed_model_ids=True``
        lifts the ``allowed_model_ids`` restriction (so the two cannot be combined).

        ``role = await client.roles.update(role.id, name="analysts", allow_model_choice=False)``
        """
        path = f"/v2/roles/{_path('role_id', role_id)}"
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = require_text("name", name)
        if description is not None:
            body["description"] = _str("description", description)
        if default_model_id is not None:
            body["default_model_id"] = _model_id("default_model_id", default_model_id, 0)
        if allowed_model_ids is not None:
            if isinstance(allowed_model_ids, (str, bytes)) or not isinstance(
                allowed_model_ids, Sequence
            ):
                raise TypeError("allowed_model_ids must be a sequence of int")
            body["allowed_model_ids"] = [
                _model_id("allowed_model_ids", v, 1) for v in allowed_model_ids
            ]
        for flag, value in (
            ("allow_model_choice", allow_model_choice),
            ("clear_allowed_model_ids", clear_allowed_model_ids),
        ):
            if value is not None:
                if not isinstance(value, bool):
                    raise TypeError(f"{flag} must be a bool, got {type(value).__name__}")
                body[flag] = value
        if clear_allowed_model_ids and allowed_model_ids is not None:
            raise ValueError("pass allowed_model_ids or clear_allowed_model_ids=True, not both")
        if not body:
            raise ValueError("nothing to update: pass at least one field")
        # the body holds absolute values: sending it twice leaves the same role, so retry it
        response = await self._transport.request(
            "PATCH",
            path,
            json=body,
            timeout=_timeout(timeout),
            idempotent=True,
            **options,
        )
        return decode_response(response, role_decoder.decode)


def _email(value: object) -> str:
    email = require_text("email", value).strip()
    local, at, domain = email.partition("@")
    if not at or not local or not domain or any(c.isspace() for c in email):
        raise ValueError(f"email must be an address like name@example.com, got {email!r}")
    return email


def _str(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    return value


def _model_id(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be ints, got {type(value).__name__}")
    if not low <= value <= _INT32_MAX:
        raise ValueError(f"{name} must be between {low} and {_INT32_MAX}, got {value}")
    return value


def _path(name: str, value: str) -> str:
    return quote(require_text(name, value), safe="")


def _timeout(value: Timeout | float | None) -> Timeout | None:
    return as_timeout(value) if value is not None else None
