"""The CLI runs on uvloop when it is installed (the ``speed`` extra), else on asyncio's loop."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest

from textql_async.cli import _loop, _main, main

uvloop = pytest.importorskip("uvloop")


def _record_loop(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []

    async def command(args: Any) -> None:
        seen.append(type(asyncio.get_running_loop()).__module__.split(".")[0])

    monkeypatch.setattr(_main, "_command", command)
    return seen


def test_cli_uses_uvloop_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _record_loop(monkeypatch)
    assert main(["demo"]) == 0
    assert seen == ["uvloop"]
    assert _loop.loop_name() == "uvloop"


def test_cli_falls_back_to_asyncio_without_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop -> ImportError
    seen = _record_loop(monkeypatch)
    assert main(["demo"]) == 0
    assert seen == ["asyncio"]
    assert _loop.loop_name() == "asyncio"


def test_the_demo_answers_on_uvloop(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    assert "New York" in capsys.readouterr().out


def test_the_library_does_not_import_uvloop() -> None:
    import subprocess

    code = "import sys, textql_async, textql_async.testing; print('uvloop' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
