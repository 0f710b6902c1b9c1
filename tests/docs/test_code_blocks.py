"""Every ```python block of README.md and of the docs site runs against FakeTextQL.

The harness runs the blocks of one file in order, in one namespace (like a reader going down
the page), with a fresh ``FakeTextQL`` per file. What the harness adds, and nothing else:

- ``client``: an entered ``AsyncTextQL`` pointed at the fake (``fake.client()``);
- ``fake``: the running ``FakeTextQL`` (blocks about the testing kit, and setup markers);
- the environment: ``TEXTQL_API_KEY``, ``TEXTQL_MEMBER_ID``, ``TEXTQL_BASE_URL``,
  ``TEXTQL_PARTNER_API_KEY`` and ``TEXTQL_PARTNER_BASE_URL`` name the fake, so
  ``AsyncTextQL()`` and ``TextQL()`` without arguments reach it;
- the working directory: a fresh temporary directory (files a block writes land there).

After each block ``client`` and ``fake`` are restored, so a block that names its own
``client`` (the sync facade's, say) does not break the blocks after it.

A block with top-level ``await`` runs on the test's event loop; any other block runs in a
worker thread (so ``asyncio.run(...)`` and the blocking ``textql_async.sync.TextQL`` work
while the fake serves on the loop). A block that defines ``async def test_...`` functions
has them called, as pytest would, with the testing kit's fixtures ``fake_textql`` (the
harness's ``fake``) and ``textql_client`` (its ``client``). Markers (``<!-- docs-test: skip REASON -->``,
``<!-- docs-test: setup ... -->``) are explained in ``tests/docs/_docs_blocks.py``; skipped blocks
are counted by ``test_inventory``. A failure names the block's file and line, and the
traceback's line numbers are the Markdown file's own.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import os
import traceback
from pathlib import Path
from typing import Any

import pytest
from _docs_blocks import ROOT, CodeBlock, MarkerError, doc_files, parse

from textql_async.testing import FakeTextQL

_FILES = doc_files()
_ASYNCIO = os.path.dirname(asyncio.__file__)
BLOCK_TIMEOUT = 30.0  # seconds per block: a hanging block fails with its line, not the test


def _compile(path: Path, first_line: int, code: str) -> Any:
    # Padding puts every line at its line number in the Markdown file, for tracebacks.
    source = "\n" * (first_line - 1) + code
    return compile(source, str(path), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)


async def _run(code: Any, namespace: dict[str, Any]) -> None:
    if code.co_flags & inspect.CO_COROUTINE:
        await eval(code, namespace)
    else:
        await asyncio.to_thread(exec, code, namespace)
    for name, value in list(namespace.items()):
        if name.startswith("test_") and inspect.iscoroutinefunction(value):
            del namespace[name]  # call each test function once, right after its block
            await value(**_fixtures(value, namespace))


# The testing kit's pytest fixtures (textql_async.testing._plugin), by the harness's objects.
_FIXTURES = {"fake_textql": "fake", "textql_client": "client"}


def _fixtures(function: Any, namespace: dict[str, Any]) -> dict[str, Any]:
    names = list(inspect.signature(function).parameters)
    unknown = [n for n in names if n not in _FIXTURES]
    if unknown:
        raise TypeError(f"{function.__name__}() asks for fixtures the docs harness lacks: {unknown}")
    return {n: namespace[_FIXTURES[n]] for n in names}


async def _run_block(block: CodeBlock, namespace: dict[str, Any]) -> str | None:
    """Run a block's setup and the block; the failure's description, or None."""
    for line, setup in block.setup:
        try:
            await _run(_compile(block.path, line, setup), namespace)
        except BaseException as exc:
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            return f"the docs-test setup at line {line} before the block at {block.where} failed:\n{_tb(exc)}"
    try:
        code = _compile(block.path, block.line, block.code)
    except SyntaxError as exc:
        return f"the python block at {block.where} does not compile: {exc}"
    try:
        await asyncio.wait_for(_run(code, namespace), BLOCK_TIMEOUT)
    except asyncio.TimeoutError:
        return f"the python block at {block.where} did not finish within {BLOCK_TIMEOUT:g} s"
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return f"the python block at {block.where} failed:\n{_tb(exc)}"
    return None


def _tb(exc: BaseException) -> str:
    """The traceback without the harness's own frames: the block's lines, then the SDK's."""
    report = traceback.TracebackException.from_exception(exc)
    frames = [
        f for f in report.stack if f.filename != __file__ and not f.filename.startswith(_ASYNCIO)
    ]
    if len(frames) > 12:  # the block's own frames, and the 8 innermost
        frames = [f for f in frames[:-8] if f.filename.endswith(".md")] + frames[-8:]
    report.stack = traceback.StackSummary.from_list(frames)
    return "".join(report.format())


def _ids(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _runnable_files() -> list[Path]:
    """The files with a block to run (a file whose markers are broken is kept: it fails)."""
    out = []
    for path in _FILES:
        try:
            if any(b.skip is None for b in parse(path)):
                out.append(path)
        except MarkerError:
            out.append(path)
    return out


@pytest.mark.parametrize("path", _runnable_files(), ids=_ids)
async def test_python_blocks_run(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = [b for b in parse(path) if b.skip is None]
    assert blocks
    monkeypatch.chdir(tmp_path)
    failures: list[str] = []
    async with FakeTextQL() as fake:
        for name, value in {
            "TEXTQL_API_KEY": fake.api_key,
            "TEXTQL_MEMBER_ID": fake.member_id,
            "TEXTQL_BASE_URL": fake.url,
            "TEXTQL_PARTNER_API_KEY": fake.partner_api_key,
            "TEXTQL_PARTNER_BASE_URL": fake.partner_url,
        }.items():
            monkeypatch.setenv(name, value)
        async with fake.client() as client:
            namespace: dict[str, Any] = {"__name__": "__docs__", "client": client, "fake": fake}
            harness = dict(namespace)
            for block in blocks:
                failure = await _run_block(block, namespace)
                namespace.update(harness)  # a block's own `client` does not outlive it
                if failure is not None:
                    if failures:
                        failure += "\n(it may follow from the failure above)"
                    failures.append(failure)
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)


def inventory() -> list[tuple[str, int, int, list[str]]]:
    """(file, blocks run, blocks skipped, skip reasons with their lines) for every doc file."""
    rows = []
    for path in _FILES:
        blocks = parse(path)
        skipped = [f"{b.where}: {b.skip}" for b in blocks if b.skip is not None]
        rows.append((_ids(path), len(blocks) - len(skipped), len(skipped), skipped))
    return rows


def test_inventory(capsys: pytest.CaptureFixture[str]) -> None:
    """Counts the blocks that run and the ones marked skip; every marker is well formed."""
    rows = inventory()
    ran = sum(r[1] for r in rows)
    skipped = sum(r[2] for r in rows)
    with capsys.disabled():
        print(f"\ndocs code blocks: {ran} run, {skipped} skipped, in {len(rows)} files")
        for line in (reason for r in rows for reason in r[3]):
            print(f"  skipped: {line}")
    assert ran > 0
    readme = next(r for r in rows if r[0] == "README.md")
    assert readme[1] > 0, "README.md has no runnable python block"


def test_markers_are_checked(tmp_path: Path) -> None:
    """A skip without a reason, or a marker with no python block after it, is an error."""
    page = tmp_path / "page.md"
    with pytest.raises(MarkerError, match="needs a reason"):
        parse(page, "<!-- docs-test: skip -->\n```python\nx = 1\n```\n")
    with pytest.raises(MarkerError, match="followed"):
        parse(page, "<!-- docs-test: skip why -->\nsome prose\n```python\nx = 1\n```\n")
    with pytest.raises(MarkerError, match="non-python"):
        parse(page, "<!-- docs-test: skip why -->\n```sh\nls\n```\n")
    with pytest.raises(MarkerError, match="unknown"):
        parse(page, "<!-- docs-test: skipp why -->\n```python\nx = 1\n```\n")
    with pytest.raises(MarkerError, match="never closed"):
        parse(page, "```python\nx = 1\n")
    blocks = parse(page, "<!-- docs-test: setup\ny = 2\n-->\n\n```python\nprint(y)\n```\n")
    assert [(b.line, b.code, b.setup) for b in blocks] == [(6, "print(y)\n", [(2, "y = 2\n")])]


async def test_a_failing_block_names_its_line(tmp_path: Path) -> None:
    """The failure message carries the file and line, and the traceback the Markdown line."""
    page = tmp_path / "page.md"
    page.write_text("# t\n\n```python\nx = 1\nraise RuntimeError('boom')\n```\n")
    (block,) = parse(page)
    failure = await _run_block(block, {})
    assert failure is not None
    assert f"{page}:4" in failure and "RuntimeError: boom" in failure
    assert f'File "{page}", line 5' in failure
    assert "test_code_blocks.py" not in failure and "asyncio" not in failure  # harness frames


async def test_a_hanging_block_names_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(globals(), "BLOCK_TIMEOUT", 0.2)
    page = tmp_path / "page.md"
    page.write_text("```python\nimport asyncio\nawait asyncio.sleep(30)\n```\n")
    (block,) = parse(page)
    failure = await _run_block(block, {})
    assert failure == f"the python block at {page}:2 did not finish within 0.2 s"


async def test_await_blocks_run_on_the_loop_and_others_in_a_thread(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```python\nimport asyncio, threading\nasync def f():\n    return threading.get_ident()\n"
        "here = await f()\n```\n\n```python\nthere = threading.get_ident()\n```\n"
    )
    namespace: dict[str, Any] = {}
    for block in parse(page):
        assert await _run_block(block, namespace) is None
    assert namespace["here"] != namespace["there"]

