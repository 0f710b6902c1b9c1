"""The partner API (X-API-Key auth), served under /partner on the fake."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from textql_async.testing._server import FakeTextQL

__all__ = ["PartnerRoutes"]


class PartnerRoutes:
    """The partner API (X-API-Key auth), served under /partner on the fake."""

    prefix = "/partner/"

    def __init__(self, fake: FakeTextQL) -> None:
        self.fake = fake

    def add_routes(self, app: web.Application) -> None:
        """Register this family's handlers."""

    def authorize(self, request: web.Request) -> web.StreamResponse | None:
        """Check this family's credentials."""
        return None
