"""The v2 API on the fake: Sandcastles (Python sandboxes): lifecycle, executions, code, queries, files, exec, ontology."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from textql_async.testing._server import FakeTextQL

__all__ = ["SandcastleRoutes"]


class SandcastleRoutes:
    """Sandcastles (Python sandboxes): lifecycle, executions, code, queries, files, exec, ontology, with an in-memory store that behaves like the service."""

    prefix: str | tuple[str, ...] = "/v2/sandcastles"

    def __init__(self, fake: FakeTextQL) -> None:
        self.fake = fake

    def add_routes(self, app: web.Application) -> None:
        """Register this family's handlers."""

    def authorize(self, request: web.Request) -> web.StreamResponse | None:
        """Check this family's credentials."""
        return None
