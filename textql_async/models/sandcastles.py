"""Models of the v2 Sandcastles API (``/v2/sandcastles*``): Python sandboxes.

Lenient like every response model here: fields are optional unless the spec
requires them, unknown fields are ignored, and enums (sandbox ``status``,
execution ``kind`` / ``source``, change ``status``) are plain strings so a new
value never breaks a listing. The decoders are non-strict, so int64 counters
sent as JSON strings still parse. Failures the API reports in a 200 body (a
Python exception, a non-zero ``exit_code``) are data here, never exceptions.
"""

from __future__ import annotations

import datetime as _dt
from typing import Literal

import msgspec

from textql_async.models._base import Result
from textql_async.models.changes import LibraryChangeDiff

__all__ = [
    "DataframeInfo",
    "ExecKind",
    "ExecResult",
    "ExecuteCodeResult",
    "GeneratedFile",
    "LoadDataResult",
    "OntologyChangeResult",
    "OntologyDiff",
    "SandboxExecution",
    "SandboxExecutionPage",
    "SandboxFile",
    "SandboxPage",
    "SandboxStarted",
    "SandboxStatus",
    "SandboxStatusFilter",
    "SandboxSummary",
    "UploadedFile",
]

SandboxStatusFilter = Literal["running", "stopped", "all"]
"""Which sandboxes ``list`` returns: open leases (``running``, the default), released ones, or both."""
ExecKind = Literal["bash", "python"]
"""The interpreter of a one-shot ``exec``: a shell command, or a Python program without kernel state."""


class SandboxStarted(Result, frozen=True):
    """The answer of a start or restart: keep ``sandbox_id`` to address the sandbox."""

    sandbox_id: str | None = None
    created_at: _dt.datetime | None = None


class SandboxSummary(Result, frozen=True):
    """One sandbox of a listing.

    ``status`` is ``running``, ``stale`` (the worker is likely gone: stop it to clear the
    lease), ``unknown`` (liveness could not be checked) or ``stopped``. Liveness in a list
    is eventually consistent; ``client.sandcastles.status(id)`` is the authoritative check.
    """

    sandbox_id: str | None = None
    status: str | None = None
    member_id: str | None = None
    chat_id: str | None = None
    started_at: _dt.datetime | None = None
    released_at: _dt.datetime | None = None


class SandboxPage(Result, frozen=True):
    """One page of ``GET /v2/sandcastles``; ``next_cursor`` is ``None`` on the last page."""

    sandboxes: list[SandboxSummary]
    next_cursor: str | None = None


class DataframeInfo(msgspec.Struct, frozen=True):
    """A dataframe loaded in a sandbox's kernel (``memory_usage_bytes`` only in a status)."""

    name: str | None = None
    num_rows: int | None = None
    num_cols: int | None = None
    memory_usage_bytes: int | None = None


class SandboxStatus(Result, frozen=True):
    """The live state of one sandbox: ``running`` (with memory and dataframes) or ``stopped``."""

    status: str | None = None
    memory_usage: str | None = None
    dataframes: list[DataframeInfo] = msgspec.field(default_factory=list)

    @property
    def running(self) -> bool:
        """Whether the sandbox can run code right now."""
        return self.status == "running"


class SandboxExecution(Result, frozen=True):
    """One recorded execution (kept 30 days, readable after the sandbox stopped).

    ``kind`` is python, bash, sql or tql; ``source`` the surface that ran it
    (platform_api, chat, dashboard, playbook, internal). ``input`` is stored in full,
    ``output_preview`` truncated (ending with ``…[truncated]``); ``error`` is empty on success.
    """

    id: str | None = None
    kind: str | None = None
    source: str | None = None
    input: str | None = None
    output_preview: str | None = None
    error: str | None = None
    duration_ms: int | None = None
    created_at: _dt.datetime | None = None


class SandboxExecutionPage(Result, frozen=True):
    """One page of a sandbox's executions, newest first; ``next_cursor`` is ``None`` at the end."""

    executions: list[SandboxExecution]
    next_cursor: str | None = None


class GeneratedFile(msgspec.Struct, frozen=True):
    """A file the code produced (a plot, an export), with a download ``url``."""

    name: str | None = None
    url: str | None = None
    mime_type: str | None = None


class ExecuteCodeResult(Result, frozen=True):
    """The result of running Python in the sandbox's persistent kernel.

    A Python exception is data: ``error`` names it (``"executing Python code:
    ZeroDivisionError('division by zero')"``) and ``output`` is then ``None``.
    ``output`` holds one string per print call.
    """

    output: list[str] | None = None
    error: str | None = None
    execution_time_ms: int | None = None
    files: list[GeneratedFile] = msgspec.field(default_factory=list)
    dataframes: list[DataframeInfo] = msgspec.field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the code ran without raising."""
        return not self.error

    @property
    def text(self) -> str:
        """Everything printed, one line per print call."""
        return "\n".join(self.output or ())


class LoadDataResult(Result, frozen=True):
    """Connector data loaded into a sandbox dataframe named ``dataframe_name``.

    ``preview`` is a text summary: the dataframe's own preview for small results, a
    Markdown table of the first 100 rows from 2048 rows on.
    """

    preview: str | None = None
    dataframe_name: str | None = None
    num_rows: int | None = None
    num_cols: int | None = None


class SandboxFile(Result, frozen=True):
    """An entry of a sandbox directory listing (``is_dir`` for subdirectories)."""

    name: str | None = None
    size_bytes: int | None = None
    is_dir: bool = False
    modified_at: _dt.datetime | None = None


class UploadedFile(Result, frozen=True):
    """The confirmation of an upload: the stored basename and its size."""

    filename: str | None = None
    size_bytes: int | None = None


class ExecResult(Result, frozen=True):
    """The result of a one-shot command: a non-zero ``exit_code`` is data, not an exception.

    ``error`` is a worker-level failure (a timeout, say), empty on normal completion.
    """

    stdout: str = ""
    stderr: str = ""
    exit_code: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the command completed with exit code 0."""
        return self.exit_code == 0 and not self.error


class OntologyDiff(Result, frozen=True):
    """The pending edits of the sandbox's Ontology mount (``library/``), not yet written back."""

    has_changes: bool = False
    diffs: list[LibraryChangeDiff] = msgspec.field(default_factory=list)
    raw_diff: str | None = None


class OntologyChangeResult(Result, frozen=True):
    """The change a writeback filed.

    ``status`` is ``open`` (in review), ``draft``, ``approved`` (an auto-approve rule
    matched: already live) or ``reserved`` (``has_conflicts``: resolve the ``.rej``
    markers in ``library/`` and resubmit with the same ``change_number``).
    """

    change_id: str | None = None
    change_number: int | None = None
    status: str | None = None
    git_ref: str | None = None
    has_conflicts: bool = False
    conflicts: str | None = None
    auto_approved: bool = False
    diffs: list[LibraryChangeDiff] = msgspec.field(default_factory=list)
    raw_diff: str | None = None


class _Files(msgspec.Struct, frozen=True):
    files: list[SandboxFile] = msgspec.field(default_factory=list)


class _Success(msgspec.Struct, frozen=True):
    success: bool = False


started_decoder = msgspec.json.Decoder(SandboxStarted, strict=False)
page_decoder = msgspec.json.Decoder(SandboxPage, strict=False)
status_decoder = msgspec.json.Decoder(SandboxStatus, strict=False)
execution_page_decoder = msgspec.json.Decoder(SandboxExecutionPage, strict=False)
execute_decoder = msgspec.json.Decoder(ExecuteCodeResult, strict=False)
load_decoder = msgspec.json.Decoder(LoadDataResult, strict=False)
files_decoder = msgspec.json.Decoder(_Files, strict=False)
uploaded_decoder = msgspec.json.Decoder(UploadedFile, strict=False)
exec_decoder = msgspec.json.Decoder(ExecResult, strict=False)
diff_decoder = msgspec.json.Decoder(OntologyDiff, strict=False)
change_decoder = msgspec.json.Decoder(OntologyChangeResult, strict=False)
success_decoder = msgspec.json.Decoder(_Success, strict=False)
