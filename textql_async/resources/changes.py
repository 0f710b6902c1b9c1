"""``client.changes``: Ontology changes: list, get, approve, deny, restore."""

from __future__ import annotations

from textql_async._transport import Transport

__all__ = ["ChangesResource"]


class ChangesResource:
    """Ontology changes: list, get, approve, deny, restore."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
