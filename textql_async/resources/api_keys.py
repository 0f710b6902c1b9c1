"""``client.api_keys``: API keys: mint, list, rotate, revoke."""

from __future__ import annotations

from textql_async._transport import Transport

__all__ = ["ApiKeysResource"]


class ApiKeysResource:
    """API keys: mint, list, rotate, revoke."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
