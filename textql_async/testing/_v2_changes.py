"""The v2 Ontology changes API on the fake (Bearer auth): an in-memory change store.

Behaves like the service: approve and deny only act on ``open`` / ``draft`` changes,
restore only on ``denied`` ones (else 409), and every action needs the change's
current ``git_ref`` as ``expected_git_ref`` (a stale one is a 409). A new revision
(:meth:`ChangeRoutes.revise`) moves the ref on and resets the approvals. Changes the
caller cannot read are left out of listings (and 404 on get); ones they cannot
write refuse actions with 403. Only the documented statuses are sent, except a
malformed ``page_token``, which is a 400 (the spec names no answer for it).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from aiohttp import web

from textql_async.testing._families import BearerFamily, denied, invalid, read_json
from textql_async.testing._rules import json_error

if TYPE_CHECKING:
    from textql_async.testing._server import FakeTextQL

__all__ = ["ChangeRevision", "ChangeRoutes", "ReceivedRequest", "StoredChange"]

STATUSES = ("reserved", "draft", "open", "approved", "denied")
_REVIEWABLE = ("open", "draft")
_DEFAULT_PAGE_SIZE = 50
_MAX_PAGE_SIZE = 100


class ReceivedRequest(NamedTuple):
    """A request this family received: the query as sent (repeated keys kept) and JSON body."""

    method: str
    path: str
    query: list[tuple[str, str]]
    json: Any

    @classmethod
    def of(cls, request: web.Request, body: Any) -> ReceivedRequest:
        """What ``request`` carried: method, path, query and the decoded ``body``."""
        return cls(request.method, request.path, list(request.query.items()), body)


@dataclass
class ChangeRevision:
    """One revision of a change: what was reviewed under ``git_ref``."""

    git_ref: str
    title: str
    description: str
    diffs: list[dict[str, Any]]
    updated_at: str


@dataclass
class StoredChange:
    """A change in the fake's store; the latest revision is the current one."""

    id: str
    number: int
    status: str
    revisions: list[ChangeRevision]
    author_id: str
    author_email: str
    author_name: str
    created_at: str
    required_approvals: int = 1
    approvals: set[str] = field(default_factory=set)
    ai_generated: bool = False
    chat_id: str | None = None
    auto_approved: bool = False
    readable: bool = True
    writable: bool = True

    @property
    def git_ref(self) -> str:
        """The current revision's ref: the only ``expected_git_ref`` an action accepts."""
        return self.revisions[-1].git_ref

    def json(self, caller: str, revision: int | None = None) -> dict[str, Any]:
        """The ``Change`` view of one revision (the latest by default), as ``caller`` sees it."""
        number = len(self.revisions) if revision is None else revision
        rev = self.revisions[number - 1]
        body: dict[str, Any] = {
            "id": self.id,
            "number": self.number,
            "author_id": self.author_id,
            "author_email": self.author_email,
            "author_name": self.author_name,
            "title": rev.title,
            "description": rev.description,
            "status": self.status,
            "git_ref": rev.git_ref,
            "revision": number,
            "ai_generated": self.ai_generated,
            "approval_count": len(self.approvals),
            "required_approvals": self.required_approvals,
            "created_at": self.created_at,
            "updated_at": rev.updated_at,
            "diffs": [dict(d) for d in rev.diffs],
        }
        if self.chat_id is not None:
            body["chat_id"] = self.chat_id
        if self.status in (*_REVIEWABLE, "denied"):
            body["capabilities"] = {
                "can_approve": self.writable and self.status in _REVIEWABLE,
                "can_deny": self.writable and self.status in _REVIEWABLE,
                "can_restore": self.writable and self.status == "denied",
                "caller_approved": caller in self.approvals,
            }
        return body


class ChangeRoutes(BearerFamily):
    """``/v2/changes*`` with a store that behaves like the service."""

    prefix: str | tuple[str, ...] = "/v2/changes"

    def __init__(self, fake: FakeTextQL) -> None:
        self.fake = fake
        self.store: dict[str, StoredChange] = {}
        """The changes by id, in creation order."""
        self.received: list[ReceivedRequest] = []
        """Every request this family answered, in order (query and body as sent)."""

    # -- helpers for tests -----------------------------------------------------------------

    def seed(
        self,
        title: str = "Add revenue metric",
        *,
        status: str = "open",
        diffs: list[dict[str, Any]] | None = None,
        description: str = "",
        author_email: str = "author@example.com",
        required_approvals: int = 1,
        ai_generated: bool = False,
        chat_id: str | None = None,
        auto_approved: bool = False,
        readable: bool = True,
        writable: bool = True,
        git_ref: str | None = None,
    ) -> StoredChange:
        """Store a change directly (any status, even one the API does not document).

        It takes number :attr:`next_number`; ``git_ref`` (its first revision's ref) is
        made up when not given.
        """
        number = self.next_number
        change_id = str(uuid.uuid4())
        now = _now()
        ref = git_ref or _ref(change_id, 1)
        change = StoredChange(
            id=change_id,
            number=number,
            status=status,
            revisions=[ChangeRevision(ref, title, description, _diffs(diffs), now)],
            author_id=str(uuid.uuid5(uuid.NAMESPACE_URL, author_email)),
            author_email=author_email,
            author_name=author_email.split("@")[0].title(),
            created_at=now,
            required_approvals=required_approvals,
            ai_generated=ai_generated,
            chat_id=chat_id,
            auto_approved=auto_approved,
            readable=readable,
            writable=writable,
        )
        self.store[change_id] = change
        return change

    def revise(
        self,
        change_id: str,
        *,
        diffs: list[dict[str, Any]] | None = None,
        title: str | None = None,
        description: str | None = None,
        git_ref: str | None = None,
    ) -> StoredChange:
        """Push a new revision (the author edited the change): a new ``git_ref``, approvals reset."""
        change = self.store[change_id]
        last = change.revisions[-1]
        number = len(change.revisions) + 1
        change.revisions.append(
            ChangeRevision(
                git_ref or _ref(change_id, number),
                last.title if title is None else title,
                last.description if description is None else description,
                last.diffs if diffs is None else _diffs(diffs),
                _now(),
            )
        )
        change.approvals.clear()
        return change

    def get(self, change_id: str) -> StoredChange | None:
        """The stored change with this id, if any."""
        return self.store.get(change_id)

    @property
    def next_number(self) -> int:
        """The number the next change filed will have."""
        return len(self.store) + 1

    # -- family protocol -------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        """Register this family's handlers."""
        app.router.add_get("/v2/changes", self._list)
        app.router.add_get("/v2/changes/{id}", self._get)
        app.router.add_post("/v2/changes/{id}/approve", self._approve)
        app.router.add_post("/v2/changes/{id}/deny", self._deny)
        app.router.add_post("/v2/changes/{id}/restore", self._restore)

    # -- handlers --------------------------------------------------------------------------

    async def _list(self, request: web.Request) -> web.StreamResponse:
        self._record(request, None)
        wanted = set(request.query.getall("status", []))
        auto = request.query.get("include_auto_approved", "false").lower() == "true"
        visible = [
            c for c in self.store.values() if c.readable and (auto or not c.auto_approved)
        ]
        counts = {s: sum(1 for c in visible if c.status == s) for s in STATUSES}
        matching = [c for c in visible if not wanted or c.status in wanted]
        matching.sort(key=lambda c: c.number, reverse=True)  # newest first
        offset = _decode_token(request.query.get("page_token", ""))
        if offset is None:
            return invalid("page_token is not a token this API issued")
        size = _page_size(request.query.get("page_size"))
        page = matching[offset : offset + size]
        body: dict[str, Any] = {
            "changes": [c.json(self.fake.member_id) for c in page],
            "counts": {s: n for s, n in counts.items() if n},
        }
        if offset + size < len(matching):
            body["next_page_token"] = _encode_token(offset + size)
        return web.json_response(body)

    async def _get(self, request: web.Request) -> web.StreamResponse:
        self._record(request, None)
        change = self._target(request)
        if isinstance(change, web.Response):
            return change
        raw = request.query.get("revision")
        revision: int | None = None
        if raw is not None:
            revision = int(raw) if raw.isdigit() else 0
            if not 1 <= revision <= len(change.revisions):
                return json_error(404, "not_found", f"change {change.id} has no revision {raw}")
        return web.json_response(change.json(self.fake.member_id, revision))

    async def _approve(self, request: web.Request) -> web.StreamResponse:
        checked = await self._checked(request, _REVIEWABLE, "approved")
        if isinstance(checked, web.Response):
            return checked
        caller = self.fake.member_id
        already = caller in checked.approvals
        checked.approvals.add(caller)
        merged = len(checked.approvals) >= checked.required_approvals
        if merged:
            checked.status = "approved"
        return web.json_response(
            {
                "merged": merged,
                "approval_count": len(checked.approvals),
                "required_approvals": checked.required_approvals,
                "already_approved": already,
            }
        )

    async def _deny(self, request: web.Request) -> web.StreamResponse:
        checked = await self._checked(request, _REVIEWABLE, "denied")
        if isinstance(checked, web.Response):
            return checked
        checked.status = "denied"
        checked.approvals.clear()
        return web.json_response({"success": True})

    async def _restore(self, request: web.Request) -> web.StreamResponse:
        checked = await self._checked(request, ("denied",), "restored")
        if isinstance(checked, web.Response):
            return checked
        checked.status = "open"
        return web.json_response({"success": True})

    # -- internals -------------------------------------------------------------------------

    async def _checked(
        self, request: web.Request, allowed: tuple[str, ...], verb: str
    ) -> StoredChange | web.Response:
        """The change an action targets, once the body, authority, state and ref allow it."""
        body = await read_json(request)
        self._record(request, body)
        change = self._target(request)
        if isinstance(change, web.Response):
            return change
        ref = body.get("expected_git_ref") if isinstance(body, dict) else None
        if not isinstance(ref, str) or not ref.strip():
            return invalid("expected_git_ref is required")
        if not change.writable:
            return denied("OWNERS write authority is required on every changed path")
        if change.status not in allowed:
            wanted = " or ".join(s.upper() for s in allowed)
            return json_error(
                409, "conflict", f"change is {change.status.upper()}; only {wanted} can be {verb}"
            )
        if ref != change.git_ref:
            return json_error(
                409, "conflict", "expected_git_ref is stale: the change has a newer revision"
            )
        return change

    def _target(self, request: web.Request) -> StoredChange | web.Response:
        change_id = request.match_info["id"]
        change = self.store.get(change_id)
        if change is None or not change.readable:
            return json_error(404, "not_found", f"change {change_id} not found")
        return change

    def _record(self, request: web.Request, body: Any) -> None:
        self.received.append(ReceivedRequest.of(request, body))


def _diffs(diffs: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    if diffs is not None:
        return [dict(d) for d in diffs]
    return [
        {
            "name": "revenue.yaml",
            "new_path": "metrics/revenue.yaml",
            "additions": 12,
            "deletions": 0,
            "is_new": True,
        }
    ]


def _ref(change_id: str, revision: int) -> str:
    return hashlib.sha1(f"{change_id}:{revision}".encode()).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _page_size(raw: str | None) -> int:
    """The server's page size: the default when absent or unreadable, clamped to 1..100."""
    if raw is None or not raw.lstrip("-").isdigit():
        return _DEFAULT_PAGE_SIZE
    return max(1, min(int(raw), _MAX_PAGE_SIZE))


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"changes:{offset}".encode()).decode().rstrip("=")


def _decode_token(token: str) -> int | None:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    kind, _, offset = text.partition(":")
    return int(offset) if kind == "changes" and offset.isdigit() else None
