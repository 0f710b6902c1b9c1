"""Request matching for :class:`FakeTextQL`: answer rules, fault queue, auth and validation."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Union

from aiohttp import web
from multidict import CIMultiDictProxy

from textql_async.testing._faults import Fault, error_body
from textql_async.testing._frames import ScriptEvent

__all__ = [
    "AnswerRule",
    "FaultQueue",
    "Matcher",
    "RecordedRequest",
    "RecordedResponse",
    "Script",
    "ScriptSource",
    "is_authorized",
    "json_error",
    "matches",
    "validate_ana_query",
]

Matcher = Union[str, "re.Pattern[str]", Callable[[str], bool]]
"""An exact question, a compiled regex (``search``), or a predicate on the question."""
Script = Sequence[ScriptEvent]
"""A scripted answer: ``(event, payload)`` tuples and/or raw ``bytes`` frames."""
ScriptSource = Union[Script, Callable[[str], Script]]
"""A script, or a function of the question returning one."""


def matches(match: Matcher, question: str) -> bool:
    """Return whether ``match`` (exact string, regex ``search`` or predicate) accepts ``question``."""
    if isinstance(match, str):
        return match == question
    if isinstance(match, re.Pattern):
        return match.search(question) is not None
    return bool(match(question))


@dataclass(frozen=True)
class RecordedRequest:
    """A request the fake received: method, path, query params, (case-insensitive) headers.

    ``body`` is the raw body of a JSON request (``b""`` for others: a multipart
    upload is streamed to its handler, never buffered here).
    """

    method: str
    path: str
    query: dict[str, str]
    headers: CIMultiDictProxy[str]
    body: bytes = b""


@dataclass(frozen=True)
class RecordedResponse:
    """A JSON response the fake sent: method, route template (``/v2/chats/{id}``), status, body."""

    method: str
    route: str
    status: int
    body: bytes


@dataclass(frozen=True)
class AnswerRule:
    """A scripted answer for the questions ``match`` accepts, with optional overrides.

    ``event_delay`` and ``chunk_size`` override the fake's pacing; ``history`` and
    ``answer_completes_after`` how its chat history shows this answer after a cut.
    """

    match: Matcher
    events: ScriptSource
    event_delay: float | None = None
    chunk_size: int | None = None
    history: str | Callable[[str], str] | None = None
    answer_completes_after: float | Callable[[str], float] | None = None

    def history_for(self, question: str) -> str | None:
        """The history mode for ``question`` (``None``: the fake's own)."""
        return self.history(question) if callable(self.history) else self.history

    def completes_after_for(self, question: str) -> float | None:
        """When ``question``'s answer lands in the history after a cut (``None``: the fake's)."""
        after = self.answer_completes_after
        return after(question) if callable(after) else after

    def matches(self, question: str) -> bool:
        """Return whether this rule answers ``question``."""
        return matches(self.match, question)

    def script(self, question: str) -> list[ScriptEvent]:
        """Return the events to stream for ``question``."""
        events = self.events(question) if callable(self.events) else self.events
        return list(events)


@dataclass
class _Injection:
    fault: Fault
    remaining: int | None
    path: str | None
    question: Matcher | None = None

    def applies(self, path: str, question: str | None) -> bool:
        if self.path not in (None, path):
            return False
        if self.question is None:
            return True
        return question is not None and matches(self.question, question)


class FaultQueue:
    """Injected faults, consumed first-in first-out by the requests they apply to."""

    def __init__(self) -> None:
        """Create an empty queue."""
        self._items: list[_Injection] = []

    def add(
        self,
        fault: Fault,
        times: int | None = 1,
        path: str | None = None,
        question: Matcher | None = None,
    ) -> None:
        """Queue ``fault`` for ``times`` requests (``None``: until cleared).

        ``path`` restricts it to one route; ``question`` to ``/api/ana`` requests whose
        question the matcher accepts.
        """
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        self._items.append(_Injection(fault, times, path, question))

    def clear(self) -> None:
        """Drop every queued fault."""
        self._items.clear()

    def __len__(self) -> int:
        """Return the number of queued fault entries."""
        return len(self._items)

    def take(
        self, path: str, kinds: tuple[type, ...], question: str | None = None
    ) -> Fault | None:
        """Consume and return the first queued fault of one of ``kinds`` for this request."""
        for item in self._items:
            if isinstance(item.fault, kinds) and item.applies(path, question):
                if item.remaining is not None:
                    item.remaining -= 1
                    if item.remaining <= 0:
                        self._items.remove(item)
                return item.fault
        return None


def json_error(status: int, code: str, message: str) -> web.Response:
    """Return a JSON error response in the API's ``{"error": {...}}`` shape."""
    return web.Response(
        status=status, body=error_body(code, message), content_type="application/json"
    )


def is_authorized(header: str, *, member_id: str, api_key: str) -> bool:
    """Check ``Basic base64(member_id:api_key)`` or ``Bearer api_key``."""
    scheme, _, credentials = header.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer":
        return credentials == api_key
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        return decoded == f"{member_id}:{api_key}"
    return False


def validate_ana_query(query: Mapping[str, str]) -> web.Response | None:
    """Return a 400 response if ``GET /api/ana`` parameters are invalid, else ``None``."""
    if not query.get("query", "").strip():
        return json_error(400, "invalid_argument", "query parameter is required")
    connector = query.get("ontologyConnectorId")
    if query.get("useOntology", "false").lower() == "true" and not connector:
        return json_error(
            400, "invalid_argument", "ontologyConnectorId is required when useOntology=true"
        )
    if connector and not connector.lstrip("-").isdigit():
        return json_error(400, "invalid_argument", "ontologyConnectorId must be an integer")
    return None
