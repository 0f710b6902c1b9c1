"""The fake's sandboxes: lease state, kernel state, files, execution history, library diffs."""

from __future__ import annotations

import base64
import binascii
import difflib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from textql_async.testing._store import iso_timestamp

__all__ = [
    "LIBRARY",
    "StoredFile",
    "StoredSandbox",
    "check_path",
    "decode_cursor",
    "encode_cursor",
    "library_diff",
]

LIBRARY = "library/"
_PREVIEW_LIMIT = 16 * 1024
_TRUNCATED = "…[truncated]"


@dataclass
class StoredFile:
    """One file of a sandbox's working directory."""

    content: bytes
    modified_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


@dataclass
class StoredSandbox:
    """A sandbox in the fake's store.

    ``liveness`` is what a listing reports while the lease is open (``running``,
    ``stale`` or ``unknown``); ``released_at`` is set once it is stopped. ``baseline``
    is the library snapshot taken at start, the reference of the Ontology diff.
    """

    sandbox_id: str
    seq: int
    member_id: str | None
    started_at: datetime
    chat_id: str | None = None
    released_at: datetime | None = None
    liveness: str = "running"
    files: dict[str, StoredFile] = field(default_factory=dict)
    baseline: dict[str, bytes] = field(default_factory=dict)
    namespace: dict[str, Any] = field(default_factory=dict, repr=False)
    dataframes: dict[str, dict[str, Any]] = field(default_factory=dict)
    executions: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def running(self) -> bool:
        """Whether the lease is open and the worker alive (``stale`` means it is gone)."""
        return self.released_at is None and self.liveness != "stale"

    def summary_json(self) -> dict[str, Any]:
        """The ``SandboxSummary`` of a listing."""
        return {
            "sandbox_id": self.sandbox_id,
            "status": self.liveness if self.released_at is None else "stopped",
            "member_id": self.member_id,
            "chat_id": self.chat_id,
            "started_at": iso_timestamp(self.started_at),
            "released_at": iso_timestamp(self.released_at) if self.released_at else None,
        }

    def status_json(self) -> dict[str, Any]:
        """The authoritative ``SandboxStatus``: only ``running`` or ``stopped``."""
        if not self.running:
            return {"status": "stopped"}
        frames = list(self.dataframes.values())
        memory = 48 * 2**20 + sum(int(f["memory_usage_bytes"]) for f in frames)
        return {
            "status": "running",
            "memory_usage": f"{memory / 2**20:.1f} MiB",
            "dataframes": [dict(f) for f in frames],
        }

    def record(
        self,
        kind: str,
        text: str,
        *,
        output: str = "",
        error: str = "",
        duration_ms: int = 3,
        seq: int,
    ) -> None:
        """Add an execution to the history (``input`` in full, ``output_preview`` truncated)."""
        if len(output) > _PREVIEW_LIMIT:
            output = output[:_PREVIEW_LIMIT] + _TRUNCATED
        self.executions.append(
            {
                "id": f"exe_{self.sandbox_id[-8:]}_{seq:05d}",
                "kind": kind,
                "source": "platform_api",
                "input": text,
                "output_preview": output,
                "error": error,
                "duration_ms": duration_ms,
                "created_at": iso_timestamp(),
                "_seq": seq,
            }
        )

    def reset_kernel(self) -> None:
        """A restart: a fresh kernel, files kept."""
        self.namespace.clear()
        self.dataframes.clear()

    # -- the working directory, as the fake shell sees it --------------------------------------

    def read(self, path: str) -> bytes | None:
        """A file's bytes, if it exists."""
        stored = self.files.get(path)
        return stored.content if stored is not None else None

    def write(self, path: str, content: bytes, *, append: bool = False) -> None:
        """Create or replace (or append to) a file."""
        old = self.files.get(path)
        self.files[path] = StoredFile((old.content if old and append else b"") + content)

    def remove(self, path: str) -> bool:
        """Delete a file; ``False`` when there was none."""
        return self.files.pop(path, None) is not None

    def listing(self, path: str) -> list[str] | None:
        """The names in a directory (``ls``), or ``None`` when it does not exist."""
        entries = self.entries(path)
        return None if entries is None else [e["name"] for e in entries]

    def entries(self, directory: str) -> list[dict[str, Any]] | None:
        """The visible entries of a directory (no dotfiles), or ``None`` if it does not exist."""
        prefix = directory.strip("/") + "/" if directory.strip("/") else ""
        found: dict[str, dict[str, Any]] = {}
        exists = prefix == ""
        for path, stored in self.files.items():
            if not path.startswith(prefix):
                continue
            exists = True
            rest = path[len(prefix) :]
            name, _, deeper = rest.partition("/")
            if name.startswith("."):
                continue
            modified = iso_timestamp(stored.modified_at)
            if deeper:
                entry = found.setdefault(
                    name, {"name": name, "size_bytes": 0, "is_dir": True, "modified_at": modified}
                )
                entry["modified_at"] = max(entry["modified_at"], modified)
            else:
                found[name] = {
                    "name": name,
                    "size_bytes": len(stored.content),
                    "is_dir": False,
                    "modified_at": modified,
                }
        return [found[name] for name in sorted(found)] if exists else None

    def is_dir(self, path: str) -> bool:
        """Whether ``path`` is a directory (some file lives under it)."""
        prefix = path.rstrip("/") + "/"
        return any(p.startswith(prefix) for p in self.files)

    def library(self) -> dict[str, bytes]:
        """The current library mount, by library-relative path."""
        return {
            path[len(LIBRARY) :]: f.content
            for path, f in self.files.items()
            if path.startswith(LIBRARY)
        }


def check_path(path: str) -> str | None:
    """Why a working-directory path is refused (traversal, dotfiles), or ``None`` when it is fine."""
    if not path or path.startswith("/"):
        return "path must be relative to the working directory"
    segments = path.split("/")
    if any(s in ("", ".", "..") for s in segments):
        return "path traversal outside the working directory is not allowed"
    if any(s.startswith(".") for s in segments):
        return "hidden files are not accessible"
    return None


def encode_cursor(scope: str, seq: int) -> str:
    """An opaque cursor: the position after which the next page starts."""
    return base64.urlsafe_b64encode(f"{scope}:{seq}".encode()).decode().rstrip("=")


def decode_cursor(scope: str, raw: str) -> int | None:
    """The position of a cursor made by :func:`encode_cursor` for ``scope``; ``None`` if invalid."""
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    kind, _, seq = text.partition(":")
    return int(seq) if kind == scope and seq.isdigit() else None


def _lines(content: bytes) -> list[str] | None:
    if b"\x00" in content:
        return None
    try:
        return content.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return None


def library_diff(
    baseline: dict[str, bytes], current: dict[str, bytes]
) -> tuple[list[dict[str, Any]], str]:
    """``LibraryChangeDiff`` entries and the unified git diff between two library states."""
    diffs: list[dict[str, Any]] = []
    raw: list[str] = []
    for path in sorted(set(baseline) | set(current)):
        old, new = baseline.get(path), current.get(path)
        if old == new:
            continue
        entry: dict[str, Any] = {
            "name": path,
            "is_new": old is None,
            "is_delete": new is None,
            "is_rename": False,
        }
        if old is not None:
            entry["old_path"] = path
        if new is not None:
            entry["new_path"] = path
        old_lines, new_lines = _lines(old or b""), _lines(new or b"")
        raw.append(f"diff --git a/{path} b/{path}\n")
        if old_lines is None or new_lines is None:
            entry.update(is_binary=True, additions=0, deletions=0)
            raw.append(f"Binary files a/{path} and b/{path} differ\n")
        else:
            body = list(
                difflib.unified_diff(
                    old_lines,
                    new_lines,
                    "/dev/null" if old is None else f"a/{path}",
                    "/dev/null" if new is None else f"b/{path}",
                )
            )
            entry["is_binary"] = False
            entry["additions"] = sum(
                1 for ln in body if ln.startswith("+") and not ln.startswith("+++")
            )
            entry["deletions"] = sum(
                1 for ln in body if ln.startswith("-") and not ln.startswith("---")
            )
            raw.extend(ln if ln.endswith("\n") else ln + "\n" for ln in body)
        diffs.append(entry)
    return diffs, "".join(raw)
