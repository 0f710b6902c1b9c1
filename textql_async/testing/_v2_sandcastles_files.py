"""Sandbox files and the Ontology writeback on the fake.

Uploads are read part by part from the multipart stream (field ``file``, stored under
its basename); downloads are written in chunks as ``application/octet-stream`` so a
client that stops early really cuts the transfer (``active_downloads`` counts the
handlers still sending). Traversal and dotfiles answer 400, a directory 400, a
missing file 404. The Ontology diff compares ``library/`` with the snapshot taken at
start; a writeback files a numbered change (``open``, ``draft``, ``approved`` with
``auto_approve``, ``reserved`` with conflicts when ``library_drifted``) in the changes
fake (``fake.changes``), where ``GET /v2/changes`` shows it and it can be reviewed;
resubmitting it (``change_number``) pushes a new revision, refused once it is approved
or denied.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from textql_async.testing._families import invalid
from textql_async.testing._rules import json_error
from textql_async.testing._v2_sandcastles_store import StoredSandbox, check_path, library_diff

if TYPE_CHECKING:
    from textql_async.testing._v2_changes import StoredChange
    from textql_async.testing._v2_sandcastles import SandcastleRoutes

__all__ = ["SandboxFileRoutes"]

_READ_CHUNK = 64 * 1024
_MAX_TITLE = 50
_REVIEWED = ("approved", "denied")


class SandboxFileRoutes:
    """The ``/files`` and ``/ontology`` routes of the sandcastles family."""

    def __init__(self, routes: SandcastleRoutes) -> None:
        self.routes = routes
        self.download_chunk_size = 64 * 1024
        """Bytes per write of a download."""
        self.active_downloads = 0
        """Download handlers still sending (0 once every client finished or went away)."""
        self.upload_parts: list[int] = []
        """For each upload, how many chunks the multipart body arrived in."""
        self.cut_downloads_after: int | None = None
        """When set, a download drops the connection after this many bytes (a broken transfer)."""

    def add_routes(self, app: web.Application, base: str) -> None:
        """Register the handlers under ``base`` (``/v2/sandcastles``)."""
        app.router.add_get(base + "/{id}/files", self._list)
        app.router.add_post(base + "/{id}/files", self._upload)
        app.router.add_get(base + "/{id}/files/{path:.+}", self._download)
        app.router.add_delete(base + "/{id}/files/{path:.+}", self._delete)
        app.router.add_get(base + "/{id}/ontology/diff", self._diff)
        app.router.add_post(base + "/{id}/ontology/changes", self._change)

    # -- files -----------------------------------------------------------------------------

    async def _list(self, request: web.Request) -> web.StreamResponse:
        sandbox = self.routes.live(request)
        if isinstance(sandbox, web.Response):
            return sandbox
        directory = request.query.get("path", "").strip("/")
        if directory:
            refused = check_path(directory)
            if refused is not None:
                return invalid(refused)
        entries = sandbox.entries(directory)
        if entries is None:
            return json_error(404, "not_found", f"directory {directory!r} not found")
        return web.json_response({"files": entries})

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        sandbox = self.routes.live(request)
        if isinstance(sandbox, web.Response):
            return sandbox
        if not request.content_type.startswith("multipart/"):
            return invalid("the body must be multipart/form-data with a 'file' field")
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name != "file":
                continue
            name = PurePosixPath(part.filename or "").name
            refused = check_path(name) if name else "the file needs a filename"
            if refused is not None:
                return invalid(refused)
            content = bytearray()
            chunks = 0
            while chunk := await part.read_chunk(_READ_CHUNK):
                content += chunk
                chunks += 1
            self.upload_parts.append(chunks)
            sandbox.write(name, bytes(content))
            return web.json_response({"filename": name, "size_bytes": len(content)})
        return invalid("the multipart field 'file' is required")

    def _file(self, request: web.Request) -> tuple[StoredSandbox, str] | web.Response:
        """The running sandbox and the checked ``{path}``, or the error response."""
        sandbox = self.routes.live(request)
        if isinstance(sandbox, web.Response):
            return sandbox
        path = request.match_info["path"]
        refused = check_path(path)
        return invalid(refused) if refused is not None else (sandbox, path)

    async def _download(self, request: web.Request) -> web.StreamResponse:
        found = self._file(request)
        if isinstance(found, web.Response):
            return found
        sandbox, path = found
        if sandbox.is_dir(path):
            return invalid(f"{path} is a directory")
        content = sandbox.read(path)
        if content is None:
            return json_error(404, "not_found", f"file {path} not found")
        response = web.StreamResponse(
            headers={
                "Content-Type": "application/octet-stream",
                "Content-Disposition": f'attachment; filename="{PurePosixPath(path).name}"',
            }
        )
        response.content_length = len(content)
        self.active_downloads += 1
        try:
            await response.prepare(request)
            step = self.download_chunk_size
            for start in range(0, len(content), step):
                cut = self.cut_downloads_after
                if cut is not None and start >= cut and request.transport is not None:
                    request.transport.close()
                    return response
                await response.write(content[start : start + step])
            await response.write_eof()
        except ConnectionError:
            pass  # the client stopped reading and closed the connection
        finally:
            self.active_downloads -= 1
        return response

    async def _delete(self, request: web.Request) -> web.StreamResponse:
        found = self._file(request)
        if isinstance(found, web.Response):
            return found
        sandbox, path = found
        if sandbox.is_dir(path):
            return invalid(f"{path} is a directory: only files can be deleted")
        if not sandbox.remove(path):
            return json_error(404, "not_found", f"file {path} not found")
        return web.json_response({"success": True})

    # -- Ontology --------------------------------------------------------------------------

    async def _diff(self, request: web.Request) -> web.StreamResponse:
        sandbox = self.routes.live(request)
        if isinstance(sandbox, web.Response):
            return sandbox
        diffs, raw = library_diff(sandbox.baseline, sandbox.library())
        return web.json_response({"has_changes": bool(diffs), "diffs": diffs, "raw_diff": raw})

    async def _change(self, request: web.Request) -> web.StreamResponse:
        found = await self.routes.live_with_body(request, optional=True)
        if isinstance(found, web.Response):
            return found
        sandbox, body = found
        fields = _change_fields(body)
        if isinstance(fields, web.Response):
            return fields
        title, description, draft, number = fields
        writebacks, changes = self.routes.writebacks, self.routes.fake.changes
        filed: StoredChange | None = None
        if number is not None:
            record = writebacks.get(number)
            filed = changes.get(record["change_id"]) if record is not None else None
            if record is None or filed is None:
                return json_error(404, "not_found", f"change {number} not found")
            final = next((s for s in (record["status"], filed.status) if s in _REVIEWED), None)
            if final is not None:  # reviewed through fake.changes, or set so by a test
                return json_error(409, "conflict", f"change {number} is {final}")
            title = title or record["title"]
            description = description or record["description"]
        elif not title or not description:
            return invalid("title and description are required for a new change")
        diffs, raw = library_diff(sandbox.baseline, sandbox.library())
        if not diffs:
            return invalid("no changes to write back: edit files under library/ first")
        assert title and description  # checked above
        if filed is None:  # a new change, filed in fake.changes (GET /v2/changes lists it)
            ref = f"refs/changes/{changes.next_number}/1"
            filed = changes.seed(
                title, description=description, diffs=diffs, chat_id=sandbox.chat_id, git_ref=ref
            )
        else:
            ref = f"refs/changes/{filed.number}/{len(filed.revisions) + 1}"
            changes.revise(filed.id, title=title, description=description, diffs=diffs, git_ref=ref)
        drifted = self.routes.library_drifted
        filed.auto_approved = self.routes.auto_approve and not drifted
        if drifted:
            filed.status = "reserved"
        else:
            filed.status = "approved" if filed.auto_approved else "draft" if draft else "open"
        record = writebacks.setdefault(filed.number, {"number": filed.number, "change_id": filed.id})
        record.update(
            title=title,
            description=description,
            sandbox_id=sandbox.sandbox_id,
            diffs=diffs,
            revision=len(filed.revisions),
            status=filed.status,
        )
        result: dict[str, Any] = {
            "change_id": filed.id,
            "change_number": filed.number,
            "git_ref": ref,
            "has_conflicts": drifted,
            "auto_approved": filed.auto_approved,
            "diffs": diffs,
            "raw_diff": raw,
        }
        if drifted:
            paths = ", ".join(d.get("new_path") or d.get("old_path", "") for d in diffs)
            result["conflicts"] = f"CONFLICT (content): merge conflict in {paths}"
        result["status"] = filed.status
        return web.json_response(result, status=201)

def _change_fields(
    body: dict[str, Any],
) -> tuple[str | None, str | None, bool, int | None] | web.Response:
    title, description = body.get("title"), body.get("description")
    draft, number = body.get("draft", False), body.get("change_number")
    for name, value in (("title", title), ("description", description)):
        if value is not None and not isinstance(value, str):
            return invalid(f"{name} must be a string")
    if isinstance(title, str) and len(title) > _MAX_TITLE:
        return invalid(f"title must be at most {_MAX_TITLE} characters")
    if not isinstance(draft, bool):
        return invalid("draft must be a boolean")
    if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
        return invalid("change_number must be an integer")
    return title, description, draft, number
