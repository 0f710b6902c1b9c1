"""The v2 API on the fake: Ontology changes: list, get, approve, deny, restore."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from textql_async.testing._server import FakeTextQL

__all__ = ["ChangeRoutes"]


class ChangeRoutes:
    """Ontology changes: list, get, approve, deny, restore, with an in-memory store that behaves like the service."""

    prefix: str | tuple[str, ...] = "/v2/changes"

    def __init__(self, fake: FakeTextQL) -> None:
        self.fake = fake

    def add_routes(self, app: web.Application) -> None:
        """Register this family's handlers."""

    def authorize(self, request: web.Request) -> web.StreamResponse | None:
        """Check this family's credentials."""
        return None
