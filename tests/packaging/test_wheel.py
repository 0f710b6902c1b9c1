"""The built wheel, installed into a clean venv without extras, on every CPython here.

Proves what a user's ``pip install textql-async`` gets: the package imports with only its
three runtime dependencies (no dev-only package is imported, nor installed), ``py.typed``
ships, the CLI runs (``--help``, and a plain-text answer with a hint when ``rich`` is
absent), and one ``ask()`` against ``FakeTextQL`` works.
"""

from __future__ import annotations

import os
import pathlib
import pty
import subprocess
import sys
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements" / "dev.lock"
PYTHONS = ("3.10", "3.11", "3.12", "3.13")
DEV_ONLY = (
    "pytest",
    "hypothesis",
    "aioresponses",
    "rich",
    "yaml",
    "jsonschema",
    "playwright",
    "mypy",
    "aiohttp_sse_client",
)

CHECK = f"""
import asyncio, importlib.util, pathlib, sys
import textql_async, textql_async.testing, textql_async.sync, textql_async.cli
from textql_async.testing import FakeTextQL

dev_only = {DEV_ONLY!r}
imported = sorted(name for name in dev_only if name in sys.modules)
installed = sorted(name for name in dev_only if importlib.util.find_spec(name) is not None)
assert not imported and not installed, (imported, installed)
assert (pathlib.Path(textql_async.__file__).parent / "py.typed").is_file()

async def main():
    async with FakeTextQL() as fake, fake.client() as client:
        result = await client.ana.ask("Which store is the largest?")
    print("ANSWER:", result.answer)
    print("BLOCKS:", len(result.blocks))

asyncio.run(main())
"""


def _find_python(version: str) -> str | None:
    found = subprocess.run(
        [str(ROOT / "tools" / "find_python"), version], capture_output=True, text=True
    )
    return found.stdout.strip() or None


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("textql_async-*.whl")
    return built


def test_wheel_carries_py_typed_and_the_license(wheel: pathlib.Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "textql_async/py.typed" in names
    assert any(name.endswith("licenses/LICENSE") for name in names)
    assert not any(name.startswith(("tests/", "benchmarks/")) for name in names)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("version", PYTHONS)
def test_wheel_in_a_clean_venv(
    version: str, wheel: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    python = _find_python(version)
    if python is None:
        if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
            python = sys.executable
        else:
            pytest.skip(f"CPython {version} is not installed on this machine")
    venv = tmp_path / "venv"
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    bin_dir = venv / "bin"
    # The runtime dependencies at their locked versions; no extras.
    subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "-c", str(LOCK), str(wheel)],
        check=True,
        capture_output=True,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTQL_", "PYTHON"))}
    checked = subprocess.run(
        [str(bin_dir / "python"), "-c", CHECK], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert checked.returncode == 0, checked.stderr
    assert "ANSWER: The largest store" in checked.stdout and "BLOCKS: 4" in checked.stdout

    cli = str(bin_dir / "textql-async")
    helped = subprocess.run([cli, "--help"], capture_output=True, text=True, env=env)
    assert helped.returncode == 0 and "usage: textql-async" in helped.stdout
    assert "textql-async[cli]" in helped.stdout

    # On a terminal without rich: plain text and a one-line hint, never a traceback.
    primary, secondary = pty.openpty()
    errors = tmp_path / "stderr.txt"
    with errors.open("w") as err:
        demo = subprocess.Popen([cli, "demo", "--delay", "0"], stdout=secondary, stderr=err, env=env)
    os.close(secondary)
    screen = _drain(primary)  # read while it runs, so a full terminal buffer cannot block it
    assert demo.wait(timeout=120) == 0, errors.read_text()
    stderr = errors.read_text()
    assert "pip install 'textql-async[cli]'" in stderr and "Traceback" not in stderr
    assert "The largest store" in screen and "\x1b[" not in screen


def _drain(fd: int) -> str:
    chunks: list[bytes] = []
    try:
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the other side is closed and the buffer is empty
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks).decode(errors="replace")
