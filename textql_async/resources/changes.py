"""``client.changes``: reviewable Ontology changes (``/v2/changes*``).

Approve, deny and restore carry the ``git_ref`` the caller reviewed as
``expected_git_ref``: the server refuses (409, :class:`ConflictError`) when the change
moved on since, or when it is not in a state that allows the action. Those POSTs are
never retried on a 409: the conflict is the answer, not a transient failure.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote

from textql_async._config import Timeout, as_timeout
from textql_async._options import RequestOptions
from textql_async._pagination import by_token, paginate
from textql_async._transport import Response, Transport
from textql_async.models.changes import (
    ApproveChangeResult,
    Change,
    ChangeActionResult,
    ChangePage,
    ChangeStatus,
    action_decoder,
    approve_decoder,
    change_decoder,
    page_decoder,
)
from textql_async.resources._base import Resource, decode_response, require_text

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["ChangesResource"]

_INT32_MAX = 2**31 - 1


class ChangesResource(Resource, family="changes"):
    """Ontology changes: list (page tokens), get, approve, deny, restore."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def list(
        self,
        *,
        status: ChangeStatus | str | Sequence[ChangeStatus | str] | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
        include_auto_approved: bool | None = None,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> ChangePage:
        """One page of the changes the caller may read (``status``: one value or several, any case).

        Pass the page's ``next_page_token`` as ``page_token`` for the next one, or use
        :meth:`iter`.

        ``page = await client.changes.list(status=["open", "draft"], page_size=20)``
        """
        params = {
            "status": _statuses(status),
            "page_size": _page_size(page_size),
            "page_token": None if page_token is None else require_text("page_token", page_token),
            "include_auto_approved": _optional_bool("include_auto_approved", include_auto_approved),
        }
        response = await self._transport.request(
            "GET",
            "/v2/changes",
            params=params,
            timeout=_timeout(timeout),
            **options,
        )
        return decode_response(response, page_decoder.decode)

    def iter(
        self,
        *,
        status: ChangeStatus | str | Sequence[ChangeStatus | str] | None = None,
        page_size: int | None = None,
        include_auto_approved: bool | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncIterator[Change]:
        """Every change matching the filter, fetching pages lazily.

        ``async for change in client.changes.iter(status="open"): ...``
        """
        statuses = _statuses(status)  # checked now, not at the first iteration
        size = _page_size(page_size)
        auto = _optional_bool("include_auto_approved", include_auto_approved)

        async def fetch(token: str | None) -> ChangePage:
            return await self.list(
                status=statuses,
                page_size=size,
                page_token=token,
                include_auto_approved=auto,
                **options,
            )

        return paginate(fetch, lambda p: p.changes, by_token(lambda p: p.next_page_token))

    async def get(
        self,
        change_id: str,
        *,
        revision: int | None = None,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> Change:
        """One change with its file diffs and the caller's capabilities.

        ``revision`` (1-based) fetches a historical revision; the default is the latest.

        ``change = await client.changes.get(change_id)``
        """
        path = f"/v2/changes/{_path(change_id)}"
        if revision is not None:
            _int_between("revision", revision, 1)
        response = await self._transport.request(
            "GET",
            path,
            params={"revision": revision},
            timeout=_timeout(timeout),
            **options,
        )
        return decode_response(response, change_decoder.decode)

    async def approve(
        self,
        change_id: str,
        expected_git_ref: str,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> ApproveChangeResult:
        """Approve a change (merged once its folder's approval rule is satisfied).

        ``ConflictError`` when the change is not open or draft, or ``expected_git_ref``
        is stale (re-read the change and review again).

        ``result = await client.changes.approve(change.id, change.git_ref)``
        """
        response = await self._action(change_id, "approve", expected_git_ref, timeout, **options)
        return decode_response(response, approve_decoder.decode)

    async def deny(
        self,
        change_id: str,
        expected_git_ref: str,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> ChangeActionResult:
        """Deny an open or draft change; its git ref is kept so it can be restored.

        ``await client.changes.deny(change.id, change.git_ref)``
        """
        response = await self._action(change_id, "deny", expected_git_ref, timeout, **options)
        return decode_response(response, action_decoder.decode)

    async def restore(
        self,
        change_id: str,
        expected_git_ref: str,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> ChangeActionResult:
        """Reopen a denied change. ``ConflictError`` when it is not denied or the ref is stale.

        ``await client.changes.restore(change.id, change.git_ref)``
        """
        response = await self._action(change_id, "restore", expected_git_ref, timeout, **options)
        return decode_response(response, action_decoder.decode)

    async def _action(
        self,
        change_id: str,
        action: str,
        expected_git_ref: str,
        timeout: Timeout | float | None,
        **options: Unpack[RequestOptions],
    ) -> Response:
        path = f"/v2/changes/{_path(change_id)}/{action}"
        body = {"expected_git_ref": require_text("expected_git_ref", expected_git_ref)}
        return await self._transport.request(
            "POST",
            path,
            json=body,
            timeout=_timeout(timeout),
            idempotent=False,
            **options,
        )


def _statuses(value: object) -> builtins.list[str] | None:
    """The status filter as the repeated query values the API takes (lower-case names)."""
    if value is None:
        return None
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, (builtins.list, tuple)):
        raise TypeError(f"status must be a str or a list of str, got {type(value).__name__}")
    out = [require_text("status", v).strip().lower() for v in values]
    if not out:
        raise ValueError("status must name at least one status (or be None for all)")
    return out


def _page_size(value: object) -> int | None:
    return None if value is None else _int_between("page_size", value, 1)


def _int_between(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not low <= value <= _INT32_MAX:
        raise ValueError(f"{name} must be between {low} and {_INT32_MAX}, got {value}")
    return value


def _optional_bool(name: str, value: object) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return value


def _path(value: str) -> str:
    return quote(require_text("change_id", value), safe="")


def _timeout(value: Timeout | float | None) -> Timeout | None:
    return as_timeout(value) if value is not None else None
