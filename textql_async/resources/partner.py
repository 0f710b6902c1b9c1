"""``client.partner``: the partner API (``X-API-Key`` auth, its own base URL)."""

from __future__ import annotations

from textql_async._transport import Transport

__all__ = ["PartnerResource"]


class PartnerResource:
    """Database connectors, spaces, embed tokens and conversations of the partner API."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
