"""API families the fake serves besides Ana: each owns its routes, auth rule and store.

A family is registered in :class:`FakeTextQL` by the path prefix it answers; the
fake's middleware records the request and applies injected faults, then asks the
family to authorize it (v2 wants ``Bearer``, v1 the Connect header too, the
partner API ``X-API-Key``).

The v2 families share one implementation of the auth rule (:class:`BearerFamily`,
:func:`authorize_bearer`),
of reading a JSON body (:func:`json_object`, :func:`read_json`), of the common
error answers (:func:`invalid`, :func:`denied`, :func:`unauthenticated`) and of
adding unknown fields to answers (:func:`with_extra_fields`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web

from textql_async.testing._rules import json_error

if TYPE_CHECKING:
    from textql_async.testing._server import FakeTextQL

__all__ = [
    "BearerFamily",
    "RouteFamily",
    "authorize_bearer",
    "bearer_token",
    "denied",
    "invalid",
    "json_object",
    "read_json",
    "unauthenticated",
    "with_extra_fields",
]


class RouteFamily(Protocol):
    """What a family module provides to the fake server."""

    @property
    def prefix(self) -> str | tuple[str, ...]:
        """The path prefix(es) this family answers (``/v2/``, ``/v1/``, ``/partner/``)."""

    def add_routes(self, app: web.Application) -> None:
        """Register the family's handlers on the fake's application."""

    def authorize(self, request: web.Request) -> web.StreamResponse | None:
        """``None`` when the request may proceed, else the error response to send."""


# -- errors (the v2 ``{"error": {...}}`` shape) ---------------------------------------------


def invalid(message: str) -> web.Response:
    """A 400 ``invalid_request``."""
    return json_error(400, "invalid_request", message)


def denied(message: str) -> web.Response:
    """A 403 ``permission_denied``."""
    return json_error(403, "permission_denied", message)


def unauthenticated() -> web.Response:
    """The 401 a v2 family answers a request without valid credentials."""
    return json_error(401, "unauthenticated", "Authentication required")


# -- auth ----------------------------------------------------------------------------------


def bearer_token(request: web.Request) -> str | None:
    """The token of ``Authorization: Bearer <token>``, or ``None`` for another scheme."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def authorize_bearer(request: web.Request, api_key: str) -> web.Response | None:
    """The v2 rule: ``Authorization: Bearer <api_key>`` only (no Basic, no ``X-API-Key``)."""
    return None if bearer_token(request) == api_key else unauthenticated()


class BearerFamily:
    """Base of the v2 families: their ``authorize`` is the v2 rule with the fake's key."""

    fake: FakeTextQL

    def authorize(self, request: web.Request) -> web.StreamResponse | None:
        """v2 takes ``Authorization: Bearer <key>`` only (no Basic, no ``X-API-Key``)."""
        return authorize_bearer(request, self.fake.api_key)


# -- JSON bodies ---------------------------------------------------------------------------


async def read_json(request: web.Request) -> Any:
    """The decoded JSON body; ``None`` when there is none or it is not JSON (no error)."""
    raw = await request.read()
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


async def json_object(
    request: web.Request, record: Callable[[Any], None], *, optional: bool = False
) -> dict[str, Any] | web.Response:
    """The JSON object body, or the 400 the service answers; ``record`` gets what arrived.

    ``record`` is called once with the decoded body (``None`` for a body that is not
    JSON, or an empty one). With ``optional`` an empty (or blank) body stands for ``{}``.
    """
    raw = await request.read()
    if optional and not raw.strip():
        record(None)
        return {}
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        record(None)
        return invalid("the body must be JSON")
    record(body)
    if not isinstance(body, dict):
        return invalid("the body must be a JSON object")
    return body


def with_extra_fields(value: Any, extra: Mapping[str, Any]) -> Any:
    """``value`` with ``extra`` added to every JSON object in it (keys it already has win)."""
    if not extra:
        return value
    if isinstance(value, Mapping):
        return {**extra, **{k: with_extra_fields(v, extra) for k, v in value.items()}}
    if isinstance(value, list):
        return [with_extra_fields(v, extra) for v in value]
    return value
