"""``client.members``: Members and roles: list, invite, remove, role assignment; roles list, create, update."""

from __future__ import annotations

from textql_async._transport import Transport

__all__ = ["MembersResource"]


class MembersResource:
    """Members and roles: list, invite, remove, role assignment; roles list, create, update."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
