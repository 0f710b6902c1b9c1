"""API families the fake serves besides Ana: each owns its routes, auth rule and store.

A family is registered in :class:`FakeTextQL` by the path prefix it answers; the
fake's middleware records the request and applies injected faults, then asks the
family to authorize it (v2 wants ``Bearer``, v1 the Connect header too, the
partner API ``X-API-Key``).
"""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

__all__ = ["RouteFamily"]


class RouteFamily(Protocol):
    """What a family module provides to the fake server."""

    @property
    def prefix(self) -> str | tuple[str, ...]:
        """The path prefix(es) this family answers (``/v2/``, ``/v1/``, ``/partner/``)."""

    def add_routes(self, app: web.Application) -> None:
        """Register the family's handlers on the fake's application."""

    def authorize(self, request: web.Request) -> web.StreamResponse | None:
        """``None`` when the request may proceed, else the error response to send."""
