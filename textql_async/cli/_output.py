"""Where the CLI writes: JSON lines, a rich console (when rich is installed), plain text."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["emit_json", "has_rich", "is_terminal", "make_console", "out"]


def has_rich() -> bool:
    """Whether the optional ``rich`` dependency is importable."""
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


def plural(n: int, word: str) -> str:
    """``1 block``, ``2 blocks``: the count with its noun agreed."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def rich_output() -> bool:
    """Rich tables and boxes only on a terminal: piped output is plain text for grep and less."""
    return has_rich() and is_terminal()


def is_terminal() -> bool:
    """Whether stdout is an interactive terminal."""
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty and isatty())


def make_console() -> Console:
    """A rich console on the current ``sys.stdout`` (so redirection and capture work)."""
    from rich.console import Console

    return Console(file=sys.stdout, highlight=False)


def emit_json(obj: dict[str, Any]) -> None:
    """Write one JSON line and flush it (consumers read line by line through pipes)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def out(text: str) -> None:
    """Write one line of plain text."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
