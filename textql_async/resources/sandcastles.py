"""``client.sandcastles``: Sandcastles (Python sandboxes): lifecycle, executions, code, queries, files, exec, ontology."""

from __future__ import annotations

from textql_async._transport import Transport

__all__ = ["SandcastlesResource"]


class SandcastlesResource:
    """Sandcastles (Python sandboxes): lifecycle, executions, code, queries, files, exec, ontology."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
