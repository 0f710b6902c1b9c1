"""``client.connectors``: the v2 data connectors API (``/v2/connectors*``)."""

from __future__ import annotations

from textql_async._transport import Transport

__all__ = ["ConnectorsResource"]


class ConnectorsResource:
    """Data warehouse connectors: list, create, test, update, delete, access grants."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
