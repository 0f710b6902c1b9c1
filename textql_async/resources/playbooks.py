"""``client.playbooks``: the v2 playbooks API (``/v2/playbooks*``).

Every argument is checked before a request is sent (ids must be UUIDs, enums the
documented values), so a typo is a ``ValueError`` here rather than a 400 later.
A run is not idempotent: it is never retried, and a server-side timeout (504)
becomes :class:`~textql_async.APITimeoutError`, since the run may still finish.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from textql_async._config import Timeout, as_timeout
from textql_async._exceptions import APITimeoutError, ServerError
from textql_async._options import RequestOptions
from textql_async._pagination import by_offset, paginate
from textql_async._transport import Transport
from textql_async.models.playbooks import (
    DeletedPlaybook,
    DeployedPlaybook,
    Playbook,
    PlaybookDetail,
    PlaybookPage,
    PlaybookReport,
    PlaybookRun,
    PlaybookSortBy,
    PlaybookSortDirection,
    PlaybookStatus,
    deleted_decoder,
    deployed_decoder,
    detail_decoder,
    page_decoder,
    playbook_decoder,
    run_decoder,
)
from textql_async.resources._base import Resource, decode_response, require_text

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["PlaybooksResource"]

_INT32_MAX = 2**31 - 1
_SORT_BY = ("name", "created_at", "updated_at")
_SORT_DIRECTIONS = ("asc", "desc")
_STATUSES = ("draft", "deployed")

PlaybookId = str | uuid.UUID


class PlaybooksResource(Resource, family="playbooks"):
    """Playbooks: list, create, get with reports, update, delete, deploy, run."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def list(
        self,
        *,
        limit: int | None = None,
        offset: int | None = None,
        search_term: str | None = None,
        sort_by: PlaybookSortBy | None = None,
        sort_direction: PlaybookSortDirection | None = None,
        status_filter: PlaybookStatus | None = None,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> PlaybookPage:
        """One page of playbooks, with ``total_count`` (``search_term`` matches names).

        ``page = await client.playbooks.list(status_filter="deployed", sort_by="name")``
        """
        params = _list_params(search_term, sort_by, sort_direction, status_filter)
        params["limit"] = _count("limit", limit, minimum=1)
        params["offset"] = _count("offset", offset, minimum=0)
        response = await self._transport.request(
            "GET",
            "/v2/playbooks",
            params=params,
            timeout=_timeout(timeout),
            **options,
        )
        return decode_response(response, page_decoder.decode)

    def iter(
        self,
        *,
        page_size: int = 50,
        search_term: str | None = None,
        sort_by: PlaybookSortBy | None = None,
        sort_direction: PlaybookSortDirection | None = None,
        status_filter: PlaybookStatus | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncIterator[Playbook]:
        """Every matching playbook, fetching pages of ``page_size`` only as they are consumed.

        ``async for playbook in client.playbooks.iter(status_filter="draft"): ...``
        """
        _count("page_size", page_size, minimum=1)
        filters = _list_params(search_term, sort_by, sort_direction, status_filter)

        async def fetch(offset: int | None) -> tuple[int, PlaybookPage]:
            start = offset or 0
            response = await self._transport.request(
                "GET",
                "/v2/playbooks",
                params={**filters, "limit": page_size, "offset": start},
                **options,
            )
            return start, decode_response(response, page_decoder.decode)

        return paginate(
            fetch,
            lambda p: p[1].playbooks,
            by_offset(lambda p: len(p[1].playbooks), lambda p: _more(p, page_size)),
        )

    async def create(
        self, *, timeout: Timeout | float | None = None, **options: Unpack[RequestOptions]
    ) -> Playbook:
        """Create an empty draft playbook with default settings; fill it in with :meth:`update`.

        ``playbook = await client.playbooks.create()``
        """
        response = await self._transport.request(
            "POST",
            "/v2/playbooks",
            timeout=_timeout(timeout),
            idempotent=False,
            **options,
        )
        return decode_response(response, playbook_decoder.decode)

    async def get(
        self,
        playbook_id: PlaybookId,
        *,
        limit: int | None = None,
        offset: int | None = None,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> PlaybookDetail:
        """A playbook with one page of its reports, newest first (``limit`` / ``offset`` page them).

        ``detail = await client.playbooks.get(playbook_id, limit=5)``
        """
        path = f"/v2/playbooks/{_playbook_id(playbook_id)}"
        params = {
            "limit": _count("limit", limit, minimum=1),
            "offset": _count("offset", offset, minimum=0),
        }
        response = await self._transport.request(
            "GET",
            path,
            params=params,
            timeout=_timeout(timeout),
            **options,
        )
        return decode_response(response, detail_decoder.decode)

    def iter_reports(
        self,
        playbook_id: PlaybookId,
        *,
        page_size: int = 20,
        **options: Unpack[RequestOptions],
    ) -> AsyncIterator[PlaybookReport]:
        """Every report of a playbook, newest first, fetching pages only as they are consumed.

        ``async for report in client.playbooks.iter_reports(playbook_id): print(report.subject)``
        """
        path = f"/v2/playbooks/{_playbook_id(playbook_id)}"
        _count("page_size", page_size, minimum=1)

        async def fetch(offset: int | None) -> tuple[int, PlaybookDetail]:
            start = offset or 0
            response = await self._transport.request(
                "GET",
                path,
                params={"limit": page_size, "offset": start},
                **options,
            )
            return start, decode_response(response, detail_decoder.decode)

        return paginate(
            fetch,
            lambda p: p[1].reports,
            by_offset(lambda p: len(p[1].reports), lambda p: _more_reports(p, page_size)),
        )

    async def update(
        self,
        playbook_id: PlaybookId,
        *,
        name: str | None = None,
        prompt: str | None = None,
        cron_string: str | None = None,
        connector_ids: Sequence[int] | None = None,
        dataset_ids: Sequence[str] | None = None,
        email_addresses: Sequence[str] | None = None,
        slack_channel_id: str | None = None,
        tagged_slack_user_ids: Sequence[str] | None = None,
        selected_template_data_ids: Sequence[str] | None = None,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> Playbook:
        """Change some fields (PATCH): only the arguments given are sent, the rest stay as they are.

        ``cron_string`` is a cron expression (``"0 9 * * 1"``: Mondays at 9); an empty string or
        list clears a field. Reports go to ``email_addresses`` and/or ``slack_channel_id``.

        ``await client.playbooks.update(playbook_id, name="Weekly revenue", cron_string="0 9 * * 1")``
        """
        path = f"/v2/playbooks/{_playbook_id(playbook_id)}"
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = require_text("name", name)
        for key, text in (
            ("prompt", prompt),
            ("cron_string", cron_string),
            ("slack_channel_id", slack_channel_id),
        ):
            if text is not None:
                body[key] = _text(key, text)
        if connector_ids is not None:
            body["connector_ids"] = _connector_ids(connector_ids)
        for key, values in (
            ("dataset_ids", dataset_ids),
            ("email_addresses", email_addresses),
            ("tagged_slack_user_ids", tagged_slack_user_ids),
            ("selected_template_data_ids", selected_template_data_ids),
        ):
            if values is not None:
                body[key] = _strings(key, values)
        if not body:
            raise ValueError("update needs at least one field to change")
        response = await self._transport.request(
            "PATCH",
            path,
            json=body,
            timeout=_timeout(timeout),
            **options,
        )
        return decode_response(response, playbook_decoder.decode)

    async def delete(
        self,
        playbook_id: PlaybookId,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> DeletedPlaybook:
        """Delete a playbook and stop its schedule.

        ``await client.playbooks.delete(playbook_id)``
        """
        path = f"/v2/playbooks/{_playbook_id(playbook_id)}"
        response = await self._transport.request(
            "DELETE", path, timeout=_timeout(timeout), **options
        )
        return decode_response(response, deleted_decoder.decode)

    async def deploy(
        self,
        playbook_id: PlaybookId,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> DeployedPlaybook:
        """Activate a playbook so it runs on its schedule (``status`` becomes ``deployed``).

        Deploying twice leaves it deployed, so a failed attempt is safely retried.

        ``deployed_at = (await client.playbooks.deploy(playbook_id)).deployed_at``
        """
        path = f"/v2/playbooks/{_playbook_id(playbook_id)}/deploy"
        response = await self._transport.request(
            "POST",
            path,
            timeout=_timeout(timeout),
            idempotent=True,
            **options,
        )
        return decode_response(response, deployed_decoder.decode)

    async def run(
        self,
        playbook_id: PlaybookId,
        *,
        dry_run: bool = False,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> PlaybookRun:
        """Run a playbook now and wait for its report (``dry_run=True`` only validates it).

        A run can take minutes: raise ``timeout`` if the default read timeout is too short.
        It is never retried (a retry would run it twice); when the service gives up (504)
        this raises :class:`~textql_async.APITimeoutError` (``recoverable``: the run may
        still finish, so look for its report with :meth:`get` before running again).

        ``report = (await client.playbooks.run(playbook_id)).report``
        """
        path = f"/v2/playbooks/{_playbook_id(playbook_id)}/run"
        if not isinstance(dry_run, bool):
            raise TypeError(f"dry_run must be a bool, got {type(dry_run).__name__}")
        try:
            response = await self._transport.request(
                "POST",
                path,
                json={"dry_run": dry_run},
                timeout=_timeout(timeout),
                idempotent=dry_run,  # validating twice is harmless, running twice is not,
                **options,
            )
        except ServerError as exc:
            if exc.status != 504 and exc.code != "timeout":
                raise
            error = APITimeoutError(
                f"POST {path} timed out server-side (HTTP {exc.status}); the run was not "
                "retried and may still finish: check get() for its report before running again"
            )
            error.recoverable = True
            raise error from exc
        return decode_response(response, run_decoder.decode)


def _list_params(
    search_term: object, sort_by: object, sort_direction: object, status_filter: object
) -> dict[str, Any]:
    """The filters of a list call, checked against the documented values."""
    if search_term is not None and not isinstance(search_term, str):
        raise TypeError(f"search_term must be a str, got {type(search_term).__name__}")
    _choice("sort_by", sort_by, _SORT_BY)
    _choice("sort_direction", sort_direction, _SORT_DIRECTIONS)
    _choice("status_filter", status_filter, _STATUSES)
    return {
        "search_term": search_term or None,
        "sort_by": sort_by,
        "sort_direction": sort_direction,
        "status_filter": status_filter,
    }


def _more(fetched: tuple[int, PlaybookPage], page_size: int) -> bool:
    start, page = fetched
    if page.total_count is not None:
        return start + len(page.playbooks) < page.total_count
    return len(page.playbooks) >= page_size


def _more_reports(fetched: tuple[int, PlaybookDetail], page_size: int) -> bool:
    start, detail = fetched
    if detail.total_reports_count is not None:
        return start + len(detail.reports) < detail.total_reports_count
    return len(detail.reports) >= page_size


def _choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def _count(name: str, value: object, *, minimum: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def _playbook_id(value: object) -> str:
    """A playbook id in canonical UUID form, or an error before any request."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str):
        raise TypeError(f"playbook_id must be a str or UUID, got {type(value).__name__}")
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        raise ValueError(f"playbook_id must be a UUID, got {value!r}") from None


def _text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    return value


def _strings(name: str, values: object) -> list[str]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(f"{name} must be a list of str, got {type(values).__name__}")
    return [require_text(f"{name}[{i}]", v) for i, v in enumerate(values)]


def _connector_ids(values: object) -> list[int]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(f"connector_ids must be a list of int, got {type(values).__name__}")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"connector_ids must be ints, got {type(value).__name__}")
        if not 0 < value <= _INT32_MAX:
            raise ValueError(f"connector ids must be between 1 and {_INT32_MAX}, got {value}")
    return list(values)


def _timeout(value: Timeout | float | None) -> Timeout | None:
    return as_timeout(value) if value is not None else None
