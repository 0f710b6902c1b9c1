"""The v2 playbooks API on the fake (Bearer auth): an in-memory playbook store.

Behaves like the service: create makes an empty draft, PATCH changes only the fields
sent (400 for a bad cron expression or email address), deploy makes a playbook
``deployed``, a run appends a report (newest first) while a dry run only validates,
and :meth:`PlaybookRoutes.time_out_runs` makes the next runs answer 504 ``timeout``.
The spec does not say whether a timed-out run goes on server-side; the fake finishes
it by default (the case a retrying client would get wrong), or drops it on request.
"""

from __future__ import annotations

import itertools
import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from textql_async.testing._families import BearerFamily, invalid, json_object
from textql_async.testing._rules import json_error
from textql_async.testing._v2_connectors import ReceivedBody
from textql_async.testing._v2_playbook_reports import build_report, now, run_assets

if TYPE_CHECKING:
    from textql_async.testing._server import FakeTextQL

__all__ = ["PlaybookRoutes", "StoredPlaybook"]

_SORT_BY = ("name", "created_at", "updated_at")
_STATUSES = ("draft", "deployed")
_CRON_MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*/,?#LW-]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TEXT_FIELDS = ("prompt", "cron_string", "slack_channel_id")
_LIST_FIELDS = (
    "dataset_ids",
    "email_addresses",
    "tagged_slack_user_ids",
    "selected_template_data_ids",
)
_seq = itertools.count(1)


@dataclass
class StoredPlaybook:
    """A playbook in the fake's store; ``reports`` are newest first."""

    id: str
    name: str = "Untitled Playbook"
    prompt: str = ""
    status: str = "draft"
    created_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)
    connector_ids: list[int] = field(default_factory=list)
    cron_string: str | None = None
    email_addresses: list[str] = field(default_factory=list)
    slack_channel_id: str | None = None
    dataset_ids: list[str] = field(default_factory=list)
    tagged_slack_user_ids: list[str] = field(default_factory=list)
    selected_template_data_ids: list[str] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)
    deployed_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """Fields served as they are (to test that clients tolerate what they do not know)."""
    created_seq: int = field(default_factory=lambda: next(_seq))
    updated_seq: int = 0

    def __post_init__(self) -> None:
        self.updated_seq = self.updated_seq or self.created_seq

    def json(self) -> dict[str, Any]:
        """The ``Playbook`` view: unset schedule and delivery fields are omitted, as the spec says."""
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "prompt": self.prompt,
            "status": self.status,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "connector_ids": list(self.connector_ids),
        }
        if self.cron_string:
            body["cron_string"] = self.cron_string
        if self.email_addresses:
            body["email_addresses"] = list(self.email_addresses)
        if self.slack_channel_id:
            body["slack_channel_id"] = self.slack_channel_id
        return {**body, **self.extra}

    def touch(self) -> None:
        """Record a change (``updated_at``)."""
        self.updated_at = now()
        self.updated_seq = next(_seq)


class PlaybookRoutes(BearerFamily):
    """``/v2/playbooks*`` with a store that behaves like the service."""

    prefix: str | tuple[str, ...] = "/v2/playbooks"

    def __init__(self, fake: FakeTextQL) -> None:
        self.fake = fake
        self.store: dict[str, StoredPlaybook] = {}
        """The playbooks by id."""
        self.bodies: list[ReceivedBody] = []
        """Every JSON body received, in order (the request bodies on the wire)."""
        self.runs: list[str] = []
        """The id of the playbook of every run executed (dry runs excluded, timed-out ones included)."""
        self._timeouts: list[bool] = []

    # -- helpers for tests -----------------------------------------------------------------

    def seed(self, name: str = "Weekly revenue", *, reports: int = 0, **fields: Any) -> StoredPlaybook:
        """Store a playbook directly (any ``StoredPlaybook`` field), with ``reports`` past runs."""
        fields.setdefault("prompt", f"Summarize {name.lower()} for the leadership team")
        stored = StoredPlaybook(id=str(uuid.uuid4()), name=name, **fields)
        self.store[stored.id] = stored
        for _ in range(reports):
            self.add_report(stored)
        return stored

    def get(self, playbook_id: str) -> StoredPlaybook | None:
        """The stored playbook with this id, if any."""
        return self.store.get(playbook_id)

    def add_report(self, playbook: StoredPlaybook) -> dict[str, Any]:
        """Run ``playbook`` server-side: store and return a new report (with its chat id)."""
        report = build_report(playbook.name, number=len(playbook.reports) + 1)
        playbook.reports.insert(0, report)
        return report

    def time_out_runs(self, times: int = 1, *, completes: bool = True) -> None:
        """Answer the next ``times`` (non-dry) runs with 504 ``timeout``.

        With ``completes`` the run still finishes and stores its report, so a client that
        retried would have run the playbook twice; ``completes=False`` loses it.
        """
        if times < 1:
            raise ValueError("times must be >= 1")
        self._timeouts.extend([completes] * times)

    # -- family protocol -------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        """Register this family's handlers."""
        app.router.add_get("/v2/playbooks", self._list)
        app.router.add_post("/v2/playbooks", self._create)
        app.router.add_get("/v2/playbooks/{id}", self._get)
        app.router.add_patch("/v2/playbooks/{id}", self._update)
        app.router.add_delete("/v2/playbooks/{id}", self._delete)
        app.router.add_post("/v2/playbooks/{id}/deploy", self._deploy)
        app.router.add_post("/v2/playbooks/{id}/run", self._run)

    # -- handlers --------------------------------------------------------------------------

    async def _list(self, request: web.Request) -> web.StreamResponse:
        # the spec documents no 400 here: out-of-range values fall back to the defaults
        query = request.query
        limit = _int(query.get("limit"), 20, minimum=1)
        offset = _int(query.get("offset"), 0, minimum=0)
        sort_by = query.get("sort_by") if query.get("sort_by") in _SORT_BY else "updated_at"
        descending = query.get("sort_direction", "desc") != "asc"
        term = query.get("search_term", "").strip().lower()
        status = query.get("status_filter")
        found = [
            p
            for p in self.store.values()
            if term in p.name.lower() and (status not in _STATUSES or p.status == status)
        ]
        found.sort(key=lambda p: _sort_key(p, sort_by), reverse=descending)
        page = [p.json() for p in found[offset : offset + limit]]
        return web.json_response({"playbooks": page, "total_count": len(found)})

    async def _create(self, request: web.Request) -> web.StreamResponse:
        stored = StoredPlaybook(id=str(uuid.uuid4()))
        self.store[stored.id] = stored
        return web.json_response(stored.json(), status=201)

    async def _get(self, request: web.Request) -> web.StreamResponse:
        stored = self._target(request)
        if isinstance(stored, web.Response):
            return stored
        limit = _int(request.query.get("limit"), 10, minimum=1)
        offset = _int(request.query.get("offset"), 0, minimum=0)
        return web.json_response(
            {
                "playbook": stored.json(),
                "reports": stored.reports[offset : offset + limit],
                "total_reports_count": len(stored.reports),
            }
        )

    async def _update(self, request: web.Request) -> web.StreamResponse:
        stored = self._target(request)
        if isinstance(stored, web.Response):
            return stored
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        problem = _check_update(body)
        if problem is not None:
            return invalid(problem)  # checked up front: a failed PATCH changes nothing
        for key in ("name", "prompt", "connector_ids", *_LIST_FIELDS):
            if body.get(key) is not None:
                setattr(stored, key, body[key])
        for key in ("cron_string", "slack_channel_id"):  # an empty string clears these
            if body.get(key) is not None:
                setattr(stored, key, body[key] or None)
        stored.touch()
        return web.json_response(stored.json())

    async def _delete(self, request: web.Request) -> web.StreamResponse:
        stored = self._target(request)
        if isinstance(stored, web.Response):
            return stored
        del self.store[stored.id]
        return web.json_response({"playbook_id": stored.id, "deleted_at": now()})

    async def _deploy(self, request: web.Request) -> web.StreamResponse:
        stored = self._target(request)
        if isinstance(stored, web.Response):
            return stored
        stored.status = "deployed"
        stored.deployed_at = now()
        stored.touch()
        return web.json_response({"playbook_id": stored.id, "deployed_at": stored.deployed_at})

    async def _run(self, request: web.Request) -> web.StreamResponse:
        stored = self._target(request)
        if isinstance(stored, web.Response):
            return stored
        body = await self._body(request, optional=True)
        if isinstance(body, web.Response):
            return body
        dry_run = body.get("dry_run", False)
        if not isinstance(dry_run, bool):
            return invalid("dry_run must be a boolean")
        if not stored.prompt.strip():
            return invalid("the playbook has no prompt: set one with PATCH before running it")
        if dry_run:
            return web.json_response({})
        self.runs.append(stored.id)
        if self._timeouts:
            if self._timeouts.pop(0):
                self.add_report(stored)
            return json_error(504, "timeout", "playbook execution timed out")
        report = self.add_report(stored)
        return web.json_response(
            {"chat_id": report["chat_id"], "report": report, "assets": run_assets(report)}
        )

    # -- internals -------------------------------------------------------------------------

    async def _body(
        self, request: web.Request, *, optional: bool = False
    ) -> dict[str, Any] | web.Response:
        return await json_object(
            request,
            lambda body: self.bodies.append(ReceivedBody.of(request, body)),
            optional=optional,
        )

    def _target(self, request: web.Request) -> StoredPlaybook | web.Response:
        playbook_id = request.match_info["id"]
        stored = self.store.get(playbook_id)
        if stored is None:
            return json_error(404, "not_found", f"playbook {playbook_id} not found")
        return stored


def _check_update(body: dict[str, Any]) -> str | None:
    """Why an ``UpdatePlaybookRequest`` is invalid, or ``None``."""
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        return "name must be a non-empty string"
    for key in _TEXT_FIELDS:
        if body.get(key) is not None and not isinstance(body[key], str):
            return f"{key} must be a string"
    cron = body.get("cron_string")
    if cron and not _valid_cron(cron):
        return f"cron_string {cron!r} is not a valid cron expression"
    ids = body.get("connector_ids")
    if ids is not None and (
        not isinstance(ids, list)
        or not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids)
    ):
        return "connector_ids must be an array of positive integers"
    for key in _LIST_FIELDS:
        values = body.get(key)
        if values is not None and (
            not isinstance(values, list) or not all(isinstance(v, str) and v for v in values)
        ):
            return f"{key} must be an array of non-empty strings"
    bad = [e for e in body.get("email_addresses") or [] if not _EMAIL.match(e)]
    if bad:
        return f"invalid email address: {bad[0]!r}"
    return None


def _valid_cron(expression: str) -> bool:
    parts = expression.split()
    if len(parts) == 1:
        return parts[0].lower() in _CRON_MACROS
    return len(parts) in (5, 6) and all(_CRON_FIELD.match(p) for p in parts)


def _sort_key(playbook: StoredPlaybook, sort_by: str | None) -> tuple[Any, ...]:
    if sort_by == "name":
        return (playbook.name.lower(), playbook.created_seq)
    if sort_by == "created_at":
        return (playbook.created_at, playbook.created_seq)
    return (playbook.updated_at, playbook.updated_seq)


def _int(raw: str | None, default: int, *, minimum: int) -> int:
    if raw is None or not raw.lstrip("-").isdigit() or int(raw) < minimum:
        return default
    return int(raw)
