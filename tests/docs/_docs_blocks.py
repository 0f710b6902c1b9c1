"""Find the ```python blocks of the Markdown docs (README.md, docs/**/*.md) and their markers.

Two HTML comments, invisible on the rendered page but plain in the source, change what
happens to the next ```python block of the file:

- ``<!-- docs-test: skip REASON -->`` right before a block: the block is not run (the reason
  is required, and is printed in the inventory). Use it only when a block cannot run against
  the fake; prefer ```text or ```sh for snippets that are not Python.
- ``<!-- docs-test: setup`` ... ``-->``: Python code that runs before the next block, in the
  same namespace (for names the example takes as given, like a websocket).

Only blank lines may stand between a marker and its block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON_INFO = {"python", "py", "python3"}

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_SKIP = re.compile(r"^\s*<!--\s*docs-test:\s*skip\b(?P<reason>.*?)-->\s*$")
_SETUP_OPEN = re.compile(r"^\s*<!--\s*docs-test:\s*setup\s*$")
_ANY_MARKER = re.compile(r"^\s*<!--\s*docs-test:")


@dataclass
class CodeBlock:
    """One fenced ```python block: where it is, its code, and its markers."""

    path: Path
    line: int  # 1-based line of the first code line (the line after the opening fence)
    code: str
    skip: str | None = None  # the reason, when marked skip
    setup: list[tuple[int, str]] = field(default_factory=list)  # (first line, code)

    @property
    def where(self) -> str:
        """``README.md:123``: the block's file (relative to the repo) and first code line."""
        try:
            name = self.path.relative_to(ROOT)
        except ValueError:
            name = self.path
        return f"{name}:{self.line}"


class MarkerError(ValueError):
    """A docs-test marker that is malformed or not followed by a ```python block."""


def doc_files() -> list[Path]:
    """README.md and every Markdown page of the docs site (not the build helpers)."""
    docs = sorted(p for p in (ROOT / "docs").rglob("*.md") if "_build" not in p.parts)
    return [ROOT / "README.md", *docs]


def parse(path: Path, text: str | None = None) -> list[CodeBlock]:
    """Every ```python block of one Markdown file, with its markers applied."""
    lines = (path.read_text(encoding="utf-8") if text is None else text).splitlines()
    blocks: list[CodeBlock] = []
    pending_skip: tuple[int, str] | None = None
    pending_setup: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            end = _closing(path, lines, i, fence.group("fence"))
            info = fence.group("info").strip().split()
            if info and info[0].lower() in PYTHON_INFO:
                indent = len(fence.group("indent"))
                body = [_dedent(code, indent) for code in lines[i + 1 : end]]
                blocks.append(
                    CodeBlock(
                        path,
                        i + 2,
                        "\n".join(body) + "\n",
                        None if pending_skip is None else pending_skip[1],
                        pending_setup,
                    )
                )
            elif pending_skip or pending_setup:
                raise MarkerError(f"{path}:{i + 1}: a docs-test marker before a non-python block")
            pending_skip, pending_setup = None, []
            i = end + 1
            continue
        skip = _SKIP.match(line)
        if skip:
            reason = skip.group("reason").strip()
            if not reason:
                raise MarkerError(f"{path}:{i + 1}: 'docs-test: skip' needs a reason")
            pending_skip = (i + 1, reason)
        elif _SETUP_OPEN.match(line):
            close = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "-->"), None)
            if close is None:
                raise MarkerError(f"{path}:{i + 1}: 'docs-test: setup' is never closed by '-->'")
            pending_setup.append((i + 2, "\n".join(lines[i + 1 : close]) + "\n"))
            i = close
        elif _ANY_MARKER.search(line):
            raise MarkerError(f"{path}:{i + 1}: unknown docs-test marker: {line.strip()}")
        elif line.strip() and (pending_skip or pending_setup):
            raise MarkerError(
                f"{path}:{(pending_skip or pending_setup[-1])[0]}: a docs-test marker must be "
                "followed (blank lines aside) by a ```python block"
            )
        i += 1
    if pending_skip or pending_setup:
        raise MarkerError(f"{path}: a docs-test marker at the end of the file, with no block after it")
    return blocks


def _closing(path: Path, lines: list[str], start: int, fence: str) -> int:
    for j in range(start + 1, len(lines)):
        stripped = lines[j].strip()
        if stripped.startswith(fence[0] * len(fence)) and set(stripped) == {fence[0]}:
            return j
    raise MarkerError(f"{path}:{start + 1}: a code fence that is never closed")


def _dedent(line: str, indent: int) -> str:
    return line[indent:] if line[:indent].strip() == "" else line.lstrip()
