"""Models of the v2 Ontology changes API (``/v2/changes*``).

Lenient like every response model here: all fields optional, unknown fields
ignored, ``status`` an open string (the spec lists ``reserved``, ``draft``,
``open``, ``approved``, ``denied``; a new value must not break a listing).
The decoders are non-strict, so int64 counters sent as JSON strings still parse.
"""

from __future__ import annotations

import datetime as _dt
from typing import Literal

import msgspec

from textql_async.models._base import Result

__all__ = [
    "ApproveChangeResult",
    "Change",
    "ChangeActionResult",
    "ChangeCapabilities",
    "ChangePage",
    "ChangeStatus",
    "LibraryChangeDiff",
]

ChangeStatus = Literal["reserved", "draft", "open", "approved", "denied"]
"""The documented change statuses (responses may carry others: ``Change.status`` is a str)."""


class LibraryChangeDiff(msgspec.Struct, frozen=True):
    """One changed file of an Ontology change (paths relative to the library)."""

    name: str | None = None
    old_path: str | None = None
    new_path: str | None = None
    additions: int | None = None
    deletions: int | None = None
    is_new: bool = False
    is_delete: bool = False
    is_rename: bool = False
    is_binary: bool = False


class ChangeCapabilities(msgspec.Struct, frozen=True):
    """What the caller may do with a change, exactly as the review UI offers it."""

    can_approve: bool = False
    can_deny: bool = False
    can_restore: bool = False
    caller_approved: bool = False


class Change(Result, frozen=True):
    """A reviewable Ontology change.

    Pass ``git_ref`` back as ``expected_git_ref`` to approve, deny or restore it: if the
    change moved on since you read it, the server answers 409 (``ConflictError``).
    ``capabilities`` is present on open, draft and denied changes.
    """

    id: str | None = None
    number: int | None = None
    author_id: str | None = None
    author_email: str | None = None
    author_name: str | None = None
    title: str | None = None
    description: str | None = None
    status: str | None = None
    git_ref: str | None = None
    revision: int | None = None
    ai_generated: bool = False
    chat_id: str | None = None
    approval_count: int | None = None
    required_approvals: int | None = None
    created_at: _dt.datetime | None = None
    updated_at: _dt.datetime | None = None
    diffs: list[LibraryChangeDiff] = msgspec.field(default_factory=list)
    capabilities: ChangeCapabilities | None = None


class ChangePage(Result, frozen=True):
    """One page of ``GET /v2/changes``; ``next_page_token`` is ``None`` on the last page.

    ``counts`` maps a status to its number of changes (the review UI's tab counts).
    """

    changes: list[Change] = msgspec.field(default_factory=list)
    next_page_token: str | None = None
    counts: dict[str, int] = msgspec.field(default_factory=dict)


class ApproveChangeResult(Result, frozen=True):
    """The outcome of an approval: ``merged`` once the folder's approval rule is satisfied.

    ``already_approved`` is true when the caller had approved this revision before
    (approving again is harmless).
    """

    merged: bool = False
    approval_count: int | None = None
    required_approvals: int | None = None
    already_approved: bool = False


class ChangeActionResult(Result, frozen=True):
    """The outcome of a deny or restore (``SuccessResponse``)."""

    success: bool = False


change_decoder = msgspec.json.Decoder(Change, strict=False)
page_decoder = msgspec.json.Decoder(ChangePage, strict=False)
approve_decoder = msgspec.json.Decoder(ApproveChangeResult, strict=False)
action_decoder = msgspec.json.Decoder(ChangeActionResult, strict=False)
