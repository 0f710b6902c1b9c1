"""``client.sandcastles``: Python sandboxes (``/v2/sandcastles*``).

Lifecycle (start, list, status, stop), the execution history, Python in the
persistent kernel, connector data loaded into dataframes, one-shot commands,
files (in ``_sandcastle_files``) and the Ontology writeback. Failures the API
reports in a 200 body (a Python exception, a non-zero exit code) are returned as
data; bad arguments raise ``ValueError`` / ``TypeError`` before any request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from textql_async._config import Timeout, as_timeout
from textql_async._options import RequestOptions
from textql_async._pagination import by_token, paginate
from textql_async._transport import Transport
from textql_async.models.sandcastles import (
    ExecKind,
    ExecResult,
    ExecuteCodeResult,
    LoadDataResult,
    OntologyChangeResult,
    OntologyDiff,
    SandboxExecution,
    SandboxExecutionPage,
    SandboxPage,
    SandboxStarted,
    SandboxStatus,
    SandboxStatusFilter,
    SandboxSummary,
    change_decoder,
    diff_decoder,
    exec_decoder,
    execute_decoder,
    execution_page_decoder,
    load_decoder,
    page_decoder,
    started_decoder,
    status_decoder,
    success_decoder,
)
from textql_async.resources._base import Resource, decode_response, require_text
from textql_async.resources._sandcastle_files import FilesMixin, sandbox_path

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["SandcastlesResource"]

_STATUSES = ("running", "stopped", "all")
_KINDS = ("bash", "python")
_MAX_LIMIT = 200
_INT32_MAX = 2**31 - 1
_MAX_TITLE = 50


class SandcastlesResource(FilesMixin, Resource, family="sandcastles"):
    """Python sandboxes: lifecycle, executions, code, queries, files, exec, Ontology writeback."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(
        self,
        sandbox_id: str | None = None,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> SandboxStarted:
        """Start a new sandbox, or restart one of yours by passing its ``sandbox_id`` back.

        A restart gives a fresh kernel (dataframes and variables are gone). Someone else's
        sandbox is a ``PermissionDeniedError``, an unknown id a ``NotFoundError``.

        ``sid = (await client.sandcastles.start()).sandbox_id``
        """
        body = None
        if sandbox_id is not None:
            body = {"sandbox_id": require_text("sandbox_id", sandbox_id)}
        response = await self._transport.request(
            "POST",
            "/v2/sandcastles",
            json=body,
            timeout=_timeout(timeout),
            idempotent=False,
            **options,
        )
        return decode_response(response, started_decoder.decode)

    async def list(
        self,
        *,
        status: SandboxStatusFilter | None = None,
        cursor: str | None = None,
        limit: int | None = None,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> SandboxPage:
        """One page of the organization's sandboxes, newest first (``limit`` 1-200, default 50).

        ``status``: ``running`` (the default: open leases, items may say ``stale`` or
        ``unknown``), ``stopped`` or ``all``. Pass ``next_cursor`` back as ``cursor``.

        ``page = await client.sandcastles.list(status="all", limit=100)``
        """
        response = await self._transport.request(
            "GET",
            "/v2/sandcastles",
            params=_list_params(status, cursor, limit),
            timeout=_timeout(timeout),
            **options,
        )
        return decode_response(response, page_decoder.decode)

    def iter(
        self,
        *,
        status: SandboxStatusFilter | None = None,
        page_size: int = 50,
        **options: Unpack[RequestOptions],
    ) -> AsyncIterator[SandboxSummary]:
        """Every sandbox matching ``status``, fetching pages lazily.

        ``async for box in client.sandcastles.iter(status="all"): ...``
        """
        _list_params(status, None, page_size)

        async def fetch(cursor: str | None) -> SandboxPage:
            return await self.list(status=status, cursor=cursor, limit=page_size, **options)

        return paginate(fetch, lambda p: p.sandboxes, by_token(lambda p: p.next_cursor))

    async def status(
        self,
        sandbox_id: str,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> SandboxStatus:
        """The authoritative live state: ``running`` (memory, dataframes) or ``stopped``.

        ``if (await client.sandcastles.status(sid)).running: ...``
        """
        response = await self._transport.request(
            "GET",
            sandbox_path(sandbox_id),
            timeout=_timeout(timeout),
            **options,
        )
        return decode_response(response, status_decoder.decode)

    async def stop(
        self,
        sandbox_id: str,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> bool:
        """Stop and destroy a sandbox (also clears a ``stale`` lease); ``True`` on success.

        ``await client.sandcastles.stop(sid)``
        """
        response = await self._transport.request(
            "DELETE",
            sandbox_path(sandbox_id),
            timeout=_timeout(timeout),
            **options,
        )
        return decode_response(response, success_decoder.decode).success

    # -- executions --------------------------------------------------------------------------

    async def executions(
        self,
        sandbox_id: str,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> SandboxExecutionPage:
        """One page of a sandbox's recorded executions, newest first (kept 30 days).

        ``page = await client.sandcastles.executions(sid, limit=20)``
        """
        path = f"{sandbox_path(sandbox_id)}/executions"
        response = await self._transport.request(
            "GET",
            path,
            params=_list_params(None, cursor, limit),
            timeout=_timeout(timeout),
            **options,
        )
        return decode_response(response, execution_page_decoder.decode)

    def iter_executions(
        self,
        sandbox_id: str,
        *,
        page_size: int = 50,
        **options: Unpack[RequestOptions],
    ) -> AsyncIterator[SandboxExecution]:
        """Every recorded execution of a sandbox, newest first, fetching pages lazily.

        ``async for run in client.sandcastles.iter_executions(sid): print(run.kind, run.input)``
        """
        sandbox_path(sandbox_id)
        _list_params(None, None, page_size)

        async def fetch(cursor: str | None) -> SandboxExecutionPage:
            return await self.executions(sandbox_id, cursor=cursor, limit=page_size, **options)

        return paginate(fetch, lambda p: p.executions, by_token(lambda p: p.next_cursor))

    # -- running code ------------------------------------------------------------------------

    async def execute(
        self,
        sandbox_id: str,
        code: str,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> ExecuteCodeResult:
        """Run Python in the sandbox's persistent kernel (variables survive between calls).

        A Python exception is data (``result.error``), not an exception. Not retried.

        ``print((await client.sandcastles.execute(sid, "print(df.shape)")).text)``
        """
        path = f"{sandbox_path(sandbox_id)}/execute"
        body = {"code": require_text("code", code)}
        response = await self._transport.request(
            "POST",
            path,
            json=body,
            timeout=_timeout(timeout),
            idempotent=False,
            **options,
        )
        return decode_response(response, execute_decoder.decode)

    async def query(
        self,
        sandbox_id: str,
        *,
        connector_id: int,
        query: str | None = None,
        tql_path: str | None = None,
        params: Mapping[str, Any] | None = None,
        max_rows: int | None = None,
        dataframe_name: str | None = None,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> LoadDataResult:
        """Load connector data into a dataframe: an inline SQL ``query`` or a saved ``.tql`` file.

        Exactly one of ``query`` / ``tql_path``. ``params`` (render values) and ``max_rows``
        (clamped server-side to 2,000,000) apply to ``tql_path`` only. The dataframe is
        named ``dataframe_name``, else ``connector_{id}`` or the ``.tql`` file's stem.

        ``r = await client.sandcastles.query(sid, connector_id=7, query="select * from sales")``
        """
        path = f"{sandbox_path(sandbox_id)}/query"
        body = _query_body(connector_id, query, tql_path, params, max_rows, dataframe_name)
        response = await self._transport.request(
            "POST",
            path,
            json=body,
            timeout=_timeout(timeout),
            idempotent=False,
            **options,
        )
        return decode_response(response, load_decoder.decode)

    async def exec(
        self,
        sandbox_id: str,
        command: str,
        *,
        kind: ExecKind = "bash",
        env: Mapping[str, str] | None = None,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> ExecResult:
        """Run a one-shot process: a ``bash`` command or a ``python`` program (no kernel state).

        A non-zero ``exit_code`` is data, not an exception; state carries over only through
        the filesystem. ``env`` adds environment variables. Not retried.

        ``r = await client.sandcastles.exec(sid, "ls -la library"); print(r.exit_code, r.stdout)``
        """
        path = f"{sandbox_path(sandbox_id)}/exec"
        body: dict[str, Any] = {"command": require_text("command", command)}
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
        body["kind"] = kind
        if env is not None:
            body["env"] = _env(env)
        response = await self._transport.request(
            "POST",
            path,
            json=body,
            timeout=_timeout(timeout),
            idempotent=False,
            **options,
        )
        return decode_response(response, exec_decoder.decode)

    # -- Ontology writeback ------------------------------------------------------------------

    async def ontology_diff(
        self,
        sandbox_id: str,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> OntologyDiff:
        """The pending edits under ``library/`` (a dry run: nothing is written back).

        ``if (await client.sandcastles.ontology_diff(sid)).has_changes: ...``
        """
        path = f"{sandbox_path(sandbox_id)}/ontology/diff"
        response = await self._transport.request("GET", path, timeout=_timeout(timeout), **options)
        return decode_response(response, diff_decoder.decode)

    async def ontology_changes(
        self,
        sandbox_id: str,
        *,
        title: str | None = None,
        description: str | None = None,
        draft: bool | None = None,
        change_number: int | None = None,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> OntologyChangeResult:
        """Write the ``library/`` edits back as a reviewable Ontology change.

        A new change needs ``title`` (at most 50 characters) and ``description``; pass
        ``change_number`` instead to file a new revision of an open or draft change
        (title and description are then inherited when left out). No edits is a
        ``BadRequestError``; revising an approved or denied change a ``ConflictError``.

        ``c = await client.sandcastles.ontology_changes(sid, title="Fix revenue", description="...")``
        """
        path = f"{sandbox_path(sandbox_id)}/ontology/changes"
        body = _change_body(title, description, draft, change_number)
        response = await self._transport.request(
            "POST",
            path,
            json=body,
            timeout=_timeout(timeout),
            idempotent=False,
            **options,
        )
        return decode_response(response, change_decoder.decode)


def _list_params(
    status: str | None, cursor: str | None, limit: int | None
) -> dict[str, str | int | None]:
    """The query of a cursor-paged listing, checked before any request."""
    if status is not None and status not in _STATUSES:
        raise ValueError(f"status must be one of {_STATUSES}, got {status!r}")
    if cursor is not None:
        require_text("cursor", cursor)
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise TypeError(f"limit must be an int, got {type(limit).__name__}")
        if not 1 <= limit <= _MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {_MAX_LIMIT}, got {limit}")
    return {"status": status, "cursor": cursor, "limit": limit}


def _query_body(
    connector_id: int,
    query: str | None,
    tql_path: str | None,
    params: Mapping[str, Any] | None,
    max_rows: int | None,
    dataframe_name: str | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"connector_id": _positive_int32("connector_id", connector_id)}
    if (query is None) == (tql_path is None):
        raise ValueError("pass exactly one of query (inline SQL) or tql_path (a saved .tql file)")
    if query is not None:
        body["query"] = require_text("query", query)
        if params is not None or max_rows is not None:
            raise ValueError("params and max_rows apply to tql_path only")
    else:
        body["tql_path"] = require_text("tql_path", tql_path)
        if not body["tql_path"].endswith(".tql"):
            raise ValueError(f"tql_path must name a .tql file, got {tql_path!r}")
    if params is not None:
        if not isinstance(params, Mapping):
            raise TypeError(f"params must be a mapping, got {type(params).__name__}")
        body["params"] = dict(params)
    if max_rows is not None:
        if isinstance(max_rows, bool) or not isinstance(max_rows, int):
            raise TypeError(f"max_rows must be an int, got {type(max_rows).__name__}")
        if max_rows < 1:
            raise ValueError(f"max_rows must be at least 1, got {max_rows}")
        body["max_rows"] = max_rows
    if dataframe_name is not None:
        body["dataframe_name"] = require_text("dataframe_name", dataframe_name)
    return body


def _change_body(
    title: str | None, description: str | None, draft: bool | None, change_number: int | None
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if change_number is not None:
        body["change_number"] = _positive_int32("change_number", change_number)
    elif title is None or description is None:
        raise ValueError("a new change needs a title and a description (or pass change_number)")
    if title is not None:
        body["title"] = require_text("title", title)
        if len(title) > _MAX_TITLE:
            raise ValueError(f"title must be at most {_MAX_TITLE} characters, got {len(title)}")
    if description is not None:
        body["description"] = require_text("description", description)
    if draft is not None:
        if not isinstance(draft, bool):
            raise TypeError(f"draft must be a bool, got {type(draft).__name__}")
        body["draft"] = draft
    return body


def _env(env: Mapping[str, str]) -> dict[str, str]:
    if not isinstance(env, Mapping):
        raise TypeError(f"env must be a mapping of str to str, got {type(env).__name__}")
    out: dict[str, str] = {}
    for name, value in env.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError("env must map str names to str values")
        if not name or "=" in name or "\x00" in name + value:
            raise ValueError(f"invalid environment variable name or value: {name!r}")
        out[name] = value
    return out


def _positive_int32(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not 0 < value <= _INT32_MAX:
        raise ValueError(f"{name} must be between 1 and {_INT32_MAX}, got {value}")
    return value


def _timeout(value: Timeout | float | None) -> Timeout | None:
    return as_timeout(value) if value is not None else None
