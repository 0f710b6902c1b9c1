"""``client.v1``: the v1 Connect-RPC chat endpoints (``/v1/chat/*``)."""

from __future__ import annotations

from textql_async._transport import Transport

__all__ = ["V1ChatsResource", "V1Resource"]


class V1ChatsResource:
    """``client.v1.chats``: get and list chats through the Connect-RPC API."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport


class V1Resource:
    """The v1 (Connect-RPC, deprecated upstream) API groups."""

    chats: V1ChatsResource

    def __init__(self, transport: Transport) -> None:
        self.chats = V1ChatsResource(transport)
