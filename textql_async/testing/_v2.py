"""The v2 REST API (Bearer auth): chats, models, connectors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from textql_async.testing._server import FakeTextQL

__all__ = ["V2Routes"]


class V2Routes:
    """The v2 REST API (Bearer auth): chats, models, connectors."""

    prefix = "/v2/"

    def __init__(self, fake: FakeTextQL) -> None:
        self.fake = fake

    def add_routes(self, app: web.Application) -> None:
        """Register this family's handlers."""

    def authorize(self, request: web.Request) -> web.StreamResponse | None:
        """Check this family's credentials."""
        return None
