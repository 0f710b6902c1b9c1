"""The sync facade (and the async client) are typed for their users, under both checkers.

``user_script.py`` must pass ``mypy --strict --disallow-any-expr`` (no expression of type
``Any`` at all) and ``pyright`` in strict mode with every ``assert_type`` holding, and it
must run against a FakeTextQL. ``user_mistakes.py`` must fail on exactly its marked lines.
"""

from __future__ import annotations

import json
import pathlib
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from textql_async import _sync_codegen
from textql_async.testing import FakeTextQL

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCRIPT = HERE / "user_script.py"
MISTAKES = HERE / "user_mistakes.py"
BIN = pathlib.Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[dev]'")
    return found


def _mypy(path: pathlib.Path, *flags: str) -> subprocess.CompletedProcess[str]:
    command = [_tool("mypy"), "--strict", "--no-incremental", "--python-version", "3.10", *flags, str(path)]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=240)


def _pyright(path: pathlib.Path, tmp_path: pathlib.Path) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "pyrightconfig.json"
    config.write_text(json.dumps({"typeCheckingMode": "strict", "pythonVersion": "3.10"}))
    command = [_tool("pyright"), "-p", str(config), "--pythonpath", sys.executable, str(path)]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=240)


def _marked_lines(path: pathlib.Path) -> set[int]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {n for n, line in enumerate(lines, 1) if "  # error: " in line}


def test_the_generated_facade_is_up_to_date() -> None:
    assert _sync_codegen.main(["--check"]) == 0, "run: python -m textql_async._sync_codegen"


def test_mypy_strict_sees_precise_types() -> None:
    done = _mypy(SCRIPT, "--disallow-any-expr")
    assert done.returncode == 0, done.stdout + done.stderr


def test_pyright_strict_sees_precise_types(tmp_path: pathlib.Path) -> None:
    done = _pyright(SCRIPT, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 errors" in done.stdout


def test_mypy_catches_the_mistakes() -> None:
    done = _mypy(MISTAKES)
    reported = {int(m) for m in re.findall(rf"{MISTAKES.name}:(\d+): error", done.stdout)}
    assert reported == _marked_lines(MISTAKES), done.stdout


def test_pyright_catches_the_mistakes(tmp_path: pathlib.Path) -> None:
    done = _pyright(MISTAKES, tmp_path)
    reported = {int(m) for m in re.findall(rf"{MISTAKES.name}:(\d+):\d+ - error", done.stdout)}
    assert reported == _marked_lines(MISTAKES), done.stdout


@pytest.fixture
def fake_url() -> Iterator[str]:
    import asyncio

    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: list[str] = []
    stop = asyncio.Event()

    async def serve() -> None:
        async with FakeTextQL() as fake:
            holder.append(fake.url)
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),))
    thread.start()
    assert ready.wait(10)
    try:
        yield holder[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


def test_the_script_runs(fake_url: str) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), fake_url], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith("ok")


def test_no_result_of_the_facade_is_any() -> None:
    import ast

    tree = ast.parse(_sync_codegen.OUTPUT.read_text(encoding="utf-8"))
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    assert len(functions) > 80
    untyped = [f.name for f in functions if f.returns is None]
    with_any = [
        f.name
        for f in functions
        if f.returns is not None
        and any(isinstance(n, ast.Name) and n.id == "Any" for n in ast.walk(f.returns))
    ]
    assert untyped == [] and with_any == []


def test_every_public_async_method_has_a_blocking_twin() -> None:
    import inspect

    from textql_async import sync
    from textql_async._client import AsyncTextQL

    classes = {**_sync_codegen._wrapped_classes(), AsyncTextQL: "TextQL"}
    for cls, twin_name in classes.items():
        twin = getattr(sync, twin_name)
        public = {
            name
            for name, _ in inspect.getmembers(cls)
            if not name.startswith("_") and name not in _sync_codegen.SKIPPED
        }
        if cls is AsyncTextQL:
            public -= _sync_codegen.CLIENT_SKIPPED  # aclose: the blocking client has close()
        missing = sorted(name for name in public if not hasattr(twin, name))
        assert missing == [], f"{twin_name} lacks {missing}"
