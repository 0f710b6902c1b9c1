"""``client.playbooks``: Playbooks: list, create, get with reports, update, delete, deploy, run."""

from __future__ import annotations

from textql_async._transport import Transport

__all__ = ["PlaybooksResource"]


class PlaybooksResource:
    """Playbooks: list, create, get with reports, update, delete, deploy, run."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
