"""The v2 Sandcastles API on the fake (Bearer auth): sandboxes that behave like the service.

Sandboxes have a lease (``running`` until stopped; a seeded one may be ``stale`` or
``unknown``), a kernel whose variables persist between ``execute`` calls, a working
directory of files, and an execution history (newest first, opaque cursors) that stays
readable after the sandbox stopped. Code and commands are modelled, not run (see
``_v2_sandcastles_kernel``): ``print`` output comes back, a Python exception is an
``error`` in a 200 body, a failing command a non-zero ``exit_code``. Work on a
sandbox that is not running answers 404. Files and the Ontology writeback live in
``_v2_sandcastles_files``.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from aiohttp import web

from textql_async.testing._families import BearerFamily, denied, invalid, json_object
from textql_async.testing._rules import json_error
from textql_async.testing._store import iso_timestamp
from textql_async.testing._v2_sandcastles_files import SandboxFileRoutes
from textql_async.testing._v2_sandcastles_kernel import (
    query_preview,
    query_shape,
    run_python,
    run_shell,
    traceback_text,
)
from textql_async.testing._v2_sandcastles_store import (
    LIBRARY,
    StoredFile,
    StoredSandbox,
    decode_cursor,
    encode_cursor,
)

if TYPE_CHECKING:
    from textql_async.testing._server import FakeTextQL

__all__ = ["SandcastleRoutes"]

_STATUSES = ("running", "stopped", "all")
_LIVENESS = ("running", "stale", "unknown", "stopped")
_INT32_MAX = 2**31 - 1
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_MAX_ROWS = 2_000_000


class SandcastleRoutes(BearerFamily):
    """``/v2/sandcastles*`` with an in-memory store of sandboxes."""

    prefix: str | tuple[str, ...] = "/v2/sandcastles"

    def __init__(self, fake: FakeTextQL) -> None:
        self.fake = fake
        self.sandboxes: dict[str, StoredSandbox] = {}
        """Every sandbox by id (open and released)."""
        self.org_library: dict[str, bytes] = {}
        """The organization's Ontology library (library-relative paths), mounted at ``library/``
        of every sandbox started afterwards and used as its diff baseline."""
        self.writebacks: dict[int, dict[str, Any]] = {}
        """Ontology changes filed by writeback, by change number (set ``status`` to test 409s);
        each is also in ``fake.changes``, under its ``change_id``."""
        self.auto_approve = False
        """When true, a writeback matches an auto-approve rule: ``approved`` at once."""
        self.library_drifted = False
        """When true, the org library moved on: a writeback answers ``has_conflicts``."""
        self.bodies: list[Any] = []
        """Every JSON body received, in order (``None`` for a request without one)."""
        self.file_routes = SandboxFileRoutes(self)
        """The files and Ontology routes (download pacing, ``active_downloads``, cut transfers)."""
        self._seq = 0

    # -- helpers for tests -----------------------------------------------------------------

    def seed(
        self,
        status: str = "running",
        *,
        member_id: str | None = None,
        chat_id: str | None = None,
        files: dict[str, bytes] | None = None,
    ) -> StoredSandbox:
        """Store a sandbox directly: ``status`` running, stale, unknown or stopped."""
        if status not in _LIVENESS:
            raise ValueError(f"status must be one of {_LIVENESS}")
        sandbox = self._new_sandbox(member_id if member_id is not None else self.fake.member_id)
        sandbox.chat_id = chat_id
        if status == "stopped":
            sandbox.released_at = datetime.now(timezone.utc)
        else:
            sandbox.liveness = status
        for path, content in (files or {}).items():
            sandbox.files[path] = StoredFile(content)
        return sandbox

    def get(self, sandbox_id: str) -> StoredSandbox | None:
        """The stored sandbox with this id, if any."""
        return self.sandboxes.get(sandbox_id)

    def next_seq(self) -> int:
        """A strictly increasing number (creation order, keyset cursors)."""
        self._seq += 1
        return self._seq

    # -- family protocol -------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        """Register this family's handlers."""
        base = "/v2/sandcastles"
        app.router.add_get(base, self._list)
        app.router.add_post(base, self._start)
        app.router.add_get(base + "/{id}", self._status)
        app.router.add_delete(base + "/{id}", self._stop)
        app.router.add_get(base + "/{id}/executions", self._executions)
        app.router.add_post(base + "/{id}/execute", self._execute)
        app.router.add_post(base + "/{id}/query", self._query)
        app.router.add_post(base + "/{id}/exec", self._exec)
        self.file_routes.add_routes(app, base)

    # -- lifecycle -------------------------------------------------------------------------

    async def _list(self, request: web.Request) -> web.StreamResponse:
        status = request.query.get("status", "running")
        if status not in _STATUSES:
            return invalid(f"status must be one of {_STATUSES}")
        page = _page_params(request, "sbx")
        if isinstance(page, web.Response):
            return page
        limit, after = page
        chosen = [
            s
            for s in sorted(self.sandboxes.values(), key=lambda s: s.seq, reverse=True)
            if (status == "all" or (status == "stopped") == (s.released_at is not None))
            and (after is None or s.seq < after)
        ]
        body: dict[str, Any] = {"sandboxes": [s.summary_json() for s in chosen[:limit]]}
        if len(chosen) > limit:
            body["next_cursor"] = encode_cursor("sbx", chosen[limit - 1].seq)
        return web.json_response(body)

    async def _start(self, request: web.Request) -> web.StreamResponse:
        body = await json_object(request, self.bodies.append, optional=True)
        if isinstance(body, web.Response):
            return body
        wanted = body.get("sandbox_id")
        if wanted is None:
            sandbox = self._new_sandbox(self.fake.member_id)
        else:
            found = self.sandboxes.get(wanted) if isinstance(wanted, str) else None
            if found is None:
                return json_error(404, "not_found", f"sandbox {wanted!r} not found")
            if found.member_id != self.fake.member_id:
                return denied("you can only restart your own sandcastles")
            sandbox = found
            sandbox.released_at = None
            sandbox.liveness = "running"
            sandbox.started_at = datetime.now(timezone.utc)
            sandbox.reset_kernel()
        return web.json_response(
            {"sandbox_id": sandbox.sandbox_id, "created_at": iso_timestamp(sandbox.started_at)},
            status=201,
        )

    async def _status(self, request: web.Request) -> web.StreamResponse:
        sandbox = self.find(request)
        if isinstance(sandbox, web.Response):
            return sandbox
        return web.json_response(sandbox.status_json())

    async def _stop(self, request: web.Request) -> web.StreamResponse:
        sandbox = self.find(request)
        if isinstance(sandbox, web.Response):
            return sandbox
        if sandbox.released_at is None:
            sandbox.released_at = datetime.now(timezone.utc)
            sandbox.reset_kernel()
        return web.json_response({"success": True})

    async def _executions(self, request: web.Request) -> web.StreamResponse:
        sandbox = self.find(request)  # readable after the sandbox stopped
        if isinstance(sandbox, web.Response):
            return sandbox
        page = _page_params(request, "exe")
        if isinstance(page, web.Response):
            return page
        limit, after = page
        chosen = [e for e in reversed(sandbox.executions) if after is None or e["_seq"] < after]
        items = [{k: v for k, v in e.items() if not k.startswith("_")} for e in chosen[:limit]]
        body: dict[str, Any] = {"executions": items}
        if len(chosen) > limit:
            body["next_cursor"] = encode_cursor("exe", chosen[limit - 1]["_seq"])
        return web.json_response(body)

    # -- running code ----------------------------------------------------------------------

    async def _execute(self, request: web.Request) -> web.StreamResponse:
        found = await self.live_with_body(request)
        if isinstance(found, web.Response):
            return found
        sandbox, body = found
        code = body.get("code")
        if not isinstance(code, str) or not code.strip():
            return invalid("code is required")
        output, exc = run_python(code, sandbox.namespace)
        error = f"executing Python code: {exc!r}" if exc is not None else ""
        sandbox.record("python", code, output="\n".join(output), error=error, seq=self.next_seq())
        result: dict[str, Any] = {"output": None if exc else output, "execution_time_ms": 3}
        if exc is not None:
            result["error"] = error
        result.update(files=[], dataframes=[])
        return web.json_response(result)

    async def _exec(self, request: web.Request) -> web.StreamResponse:
        found = await self.live_with_body(request)
        if isinstance(found, web.Response):
            return found
        sandbox, body = found
        command, kind, env = body.get("command"), body.get("kind", "bash"), body.get("env") or {}
        if not isinstance(command, str) or not command.strip():
            return invalid("command is required")
        if kind not in ("bash", "python"):
            return invalid("kind must be bash or python")
        if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
            return invalid("env must map names to string values")
        if kind == "bash":
            shell = run_shell(command, env, sandbox)
            stdout, stderr, code, error = shell.stdout, shell.stderr, shell.exit_code, shell.error
        else:  # a fresh interpreter: no kernel state
            lines, exc = run_python(command, {})
            stdout = "".join(f"{line}\n" for line in lines)
            stderr = traceback_text(exc) if exc is not None else ""
            code, error = (1 if exc is not None else 0), ""
        failure = error or (f"exit status {code}" if code else "")
        sandbox.record(kind, command, output=stdout + stderr, error=failure, seq=self.next_seq())
        return web.json_response(
            {"stdout": stdout, "stderr": stderr, "exit_code": code, "error": error}
        )

    async def _query(self, request: web.Request) -> web.StreamResponse:
        found = await self.live_with_body(request)
        if isinstance(found, web.Response):
            return found
        sandbox, body = found
        connector_id = body.get("connector_id")
        if isinstance(connector_id, bool) or not isinstance(connector_id, int):
            return invalid("connector_id is required")
        if not 0 < connector_id <= _INT32_MAX:
            return invalid("connector_id must be a positive int32")
        query, tql_path = body.get("query"), body.get("tql_path")
        if (query is None) == (tql_path is None):
            return invalid("provide exactly one of query or tql_path")
        if self.fake.connectors.get(connector_id) is None:
            return json_error(404, "not_found", f"connector {connector_id} not found")
        if query is not None:
            if not isinstance(query, str) or not query.strip():
                return invalid("query must be a non-empty string")
            sql, kind, text = query, "sql", query
            default_name, rows = f"connector_{connector_id}", query_shape(query, _MAX_ROWS)[0]
        else:
            rendered = self._render(sandbox, tql_path, body.get("params"))
            if isinstance(rendered, web.Response):
                return rendered
            sql, kind, text = rendered, "tql", str(tql_path)
            default_name = str(tql_path).rsplit("/", 1)[-1].removesuffix(".tql")
            max_rows = body.get("max_rows")
            cap = min(max(int(max_rows), 1), _MAX_ROWS) if isinstance(max_rows, int) else _MAX_ROWS
            rows = query_shape(sql, cap)[0]
        name = body.get("dataframe_name") or default_name
        if not isinstance(name, str):
            return invalid("dataframe_name must be a string")
        cols = query_shape(sql, _MAX_ROWS)[1]
        preview = query_preview(name, rows, cols)
        sandbox.dataframes[name] = {
            "name": name,
            "num_rows": rows,
            "num_cols": cols,
            "memory_usage_bytes": rows * cols * 8,
        }
        sandbox.record(kind, text, output=preview, seq=self.next_seq())
        return web.json_response(
            {"preview": preview, "dataframe_name": name, "num_rows": rows, "num_cols": cols}
        )

    def _render(
        self, sandbox: StoredSandbox, tql_path: object, params: object
    ) -> str | web.Response:
        if not isinstance(tql_path, str) or not tql_path.endswith(".tql"):
            return invalid("tql_path must name a .tql file")
        source = sandbox.read(LIBRARY + tql_path)
        if source is None:
            source = self.org_library.get(tql_path)
        if source is None:  # not visible to the caller's roles looks the same as missing
            return json_error(404, "not_found", f"{tql_path} not found")
        values = params if isinstance(params, dict) else {}
        missing = [n for n in _PLACEHOLDER.findall(source.decode()) if n not in values]
        if missing:
            return invalid(f"rendering {tql_path} failed: missing parameter {missing[0]!r}")
        return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), source.decode())

    # -- shared with the files routes ------------------------------------------------------

    def find(self, request: web.Request) -> StoredSandbox | web.Response:
        """The sandbox of ``{id}``, or a 404."""
        sandbox_id = request.match_info["id"]
        sandbox = self.sandboxes.get(sandbox_id)
        if sandbox is None:
            return json_error(404, "not_found", f"sandbox {sandbox_id} not found")
        return sandbox

    def live(self, request: web.Request) -> StoredSandbox | web.Response:
        """The sandbox of ``{id}`` if it is running, else a 404."""
        sandbox = self.find(request)
        if isinstance(sandbox, StoredSandbox) and not sandbox.running:
            return json_error(404, "not_found", f"sandbox {sandbox.sandbox_id} is not running")
        return sandbox

    async def live_with_body(
        self, request: web.Request, *, optional: bool = False
    ) -> tuple[StoredSandbox, dict[str, Any]] | web.Response:
        """The running sandbox and the JSON object body, or the error response."""
        sandbox = self.live(request)
        if isinstance(sandbox, web.Response):
            return sandbox
        body = await json_object(request, self.bodies.append, optional=optional)
        return body if isinstance(body, web.Response) else (sandbox, body)

    def _new_sandbox(self, member_id: str | None) -> StoredSandbox:
        sandbox = StoredSandbox(
            sandbox_id=f"sbx_{secrets.token_hex(8)}",
            seq=self.next_seq(),
            member_id=member_id,
            started_at=datetime.now(timezone.utc),
        )
        for path, content in self.org_library.items():
            sandbox.files[LIBRARY + path] = StoredFile(content)
            sandbox.baseline[path] = content
        self.sandboxes[sandbox.sandbox_id] = sandbox
        return sandbox


def _page_params(request: web.Request, scope: str) -> tuple[int, int | None] | web.Response:
    raw_limit = request.query.get("limit", "50")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 200:
        return invalid("limit must be between 1 and 200")
    cursor = request.query.get("cursor")
    after = None
    if cursor:
        after = decode_cursor(scope, cursor)
        if after is None:
            return invalid("invalid cursor")
    return int(raw_limit), after
