"""The v1 Connect-RPC chat API (Bearer auth and Connect-Protocol-Version: 1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from textql_async.testing._server import FakeTextQL

__all__ = ["V1Routes"]


class V1Routes:
    """The v1 Connect-RPC chat API (Bearer auth and Connect-Protocol-Version: 1)."""

    prefix = "/v1/"

    def __init__(self, fake: FakeTextQL) -> None:
        self.fake = fake

    def add_routes(self, app: web.Application) -> None:
        """Register this family's handlers."""

    def authorize(self, request: web.Request) -> web.StreamResponse | None:
        """Check this family's credentials."""
        return None
