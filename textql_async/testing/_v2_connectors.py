"""The v2 connectors API on the fake (Bearer auth): an in-memory connector store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from textql_async.testing._server import FakeTextQL

__all__ = ["ConnectorRoutes"]


class ConnectorRoutes:
    """``/v2/connectors*`` with a store that behaves like the service."""

    prefix = "/v2/connectors"

    def __init__(self, fake: FakeTextQL) -> None:
        self.fake = fake

    def add_routes(self, app: web.Application) -> None:
        """Register this family's handlers."""

    def authorize(self, request: web.Request) -> web.StreamResponse | None:
        """Check this family's credentials."""
        return None
