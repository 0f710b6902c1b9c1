"""Models of the v2 members and roles API (``/v2/members*``, ``/v2/roles*``).

Lenient: every field optional, unknown fields ignored. Python names are snake_case;
the one camelCase wire name of this family (``roleId`` in the assign body) is
written by the resource, never exposed.
"""

from __future__ import annotations

import datetime as _dt
from typing import Literal

import msgspec

from textql_async.models._base import Result

__all__ = [
    "InviteMemberResult",
    "InviteRole",
    "Member",
    "MemberRoleResult",
    "RemoveMemberResult",
    "Role",
]

InviteRole = Literal["member", "admin"]
"""The system role of an invited member (distinct from the RBAC :class:`Role` s)."""


class Member(Result, frozen=True):
    """A human member of the organization.

    ``roles`` holds role *names*, not ids: resolve ids with ``client.roles.list()`` or
    ``client.members.roles(member_id)`` before assigning or removing roles.
    """

    id: str | None = None
    email: str | None = None
    name: str | None = None
    roles: list[str] = msgspec.field(default_factory=list)
    is_admin: bool = False
    is_service_account: bool = False
    is_scim_managed: bool = False
    created_at: _dt.datetime | None = None


class Role(Result, frozen=True):
    """An RBAC role; ``is_system`` for the built-in ones (``admin``, ``member``)."""

    id: str | None = None
    name: str | None = None
    description: str | None = None
    is_system: bool = False
    is_scim_managed: bool = False
    created_at: _dt.datetime | None = None
    updated_at: _dt.datetime | None = None


class InviteMemberResult(Result, frozen=True):
    """The outcome of an invitation (the API returns no member id: list members to find it)."""

    success: bool = False


class RemoveMemberResult(Result, frozen=True):
    """The outcome of removing a member: its ``id`` and whether it was removed."""

    id: str | None = None
    success: bool = False


class MemberRoleResult(Result, frozen=True):
    """The outcome of assigning a role to a member, or removing it."""

    member_id: str | None = None
    role_id: str | None = None
    success: bool = False


class _Members(msgspec.Struct):
    members: list[Member] = msgspec.field(default_factory=list)


class _Roles(msgspec.Struct):
    roles: list[Role] = msgspec.field(default_factory=list)


members_decoder = msgspec.json.Decoder(_Members)
roles_decoder = msgspec.json.Decoder(_Roles)
role_decoder = msgspec.json.Decoder(Role)
invite_decoder = msgspec.json.Decoder(InviteMemberResult)
remove_decoder = msgspec.json.Decoder(RemoveMemberResult)
member_role_decoder = msgspec.json.Decoder(MemberRoleResult)
