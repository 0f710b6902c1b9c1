"""Fault descriptions for :meth:`FakeTextQL.inject` (plain frozen dataclasses)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Union

__all__ = [
    "Delay",
    "Disconnect",
    "DropAfter",
    "Fault",
    "HTTPError",
    "Stall",
    "Truncate",
    "error_body",
]


def error_body(code: str, message: str) -> bytes:
    """Return the API's JSON error body ``{"error": {"code": ..., "message": ...}}``."""
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def _default_code(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


@dataclass(frozen=True)
class HTTPError:
    """Answer with ``status`` and ``body`` instead of the normal response (any route).

    ``body=None`` sends the API's JSON error shape for ``status``. Examples:
    ``HTTPError(429, headers={"Retry-After": "1"})``,
    ``HTTPError(502, b"<html>Bad Gateway</html>", content_type="text/html")``.
    """

    status: int
    body: bytes | None = None
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)

    def render_body(self) -> bytes:
        """Return the body to send (the explicit one, or a JSON error for ``status``)."""
        if self.body is not None:
            return self.body
        return error_body(_default_code(self.status), f"injected HTTP {self.status}")


@dataclass(frozen=True)
class DropAfter:
    """Abruptly close the TCP connection after ``events`` events or ``bytes`` body bytes.

    When both are set, whichever limit is reached first wins. With neither set, the
    connection is dropped right after the response headers. Applies to ``/api/ana`` only.
    Like the real service, Ana keeps working when the stream is cut: the chat history
    ends up with the complete answer (see ``FakeTextQL(answer_completes_after=...)``).
    """

    events: int | None = None
    bytes: int | None = None


@dataclass(frozen=True)
class Stall:
    """Stop sending after ``after_events`` events and hang until the client goes away.

    The server closing also ends the stall. With ``keepalive_interval`` set,
    ``: keep-alive`` comments are sent at that interval. The chat history still ends up
    with the complete answer, as with :class:`DropAfter`.
    """

    after_events: int
    keepalive_interval: float | None = None


@dataclass(frozen=True)
class Truncate:
    """End the body cleanly after ``after_events`` events, without the ``done`` event.

    The chat history still ends up with the complete answer, as with :class:`DropAfter`.
    """

    after_events: int


@dataclass(frozen=True)
class Delay:
    """Wait ``seconds`` before sending the response headers (for timeout tests; any route)."""

    seconds: float


@dataclass(frozen=True)
class Disconnect:
    """Close the TCP connection without sending any response (any route).

    The client sees the server hang up before a status line (aiohttp raises
    ``ServerDisconnectedError``): a connection error that is safe to retry, since
    nothing was answered. No chat is created. Note that aiohttp itself re-sends an
    idempotent request (``GET``) once after such a hang-up, so ``times=2`` is what
    makes one ``GET`` fail at the aiohttp level.
    """


Fault = Union[HTTPError, DropAfter, Stall, Truncate, Delay, Disconnect]
"""Any injectable fault."""
