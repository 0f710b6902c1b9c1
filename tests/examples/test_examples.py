"""Every example runs against FakeTextQL, as a user would run it (a subprocess)."""

from __future__ import annotations

import os
import pathlib
import sys

import anyio

from textql_async.testing import FakeTextQL

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


async def _run(script: str, env: dict[str, str]) -> str:
    result = await anyio.run_process(
        [sys.executable, str(EXAMPLES / script), "Which store is the largest?"],
        env={**os.environ, **env},
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


async def test_print_stream_prints_the_answer_text() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        expected = await client.ana.ask("Which store is the largest?")
        out = await _run(
            "print_stream.py",
            {"TEXTQL_API_KEY": fake.api_key, "TEXTQL_MEMBER_ID": fake.member_id, "TEXTQL_BASE_URL": fake.url},
        )
    assert expected.answer is not None and expected.answer in out


async def test_blocks_live_runs_on_its_embedded_fake() -> None:
    env = {k: "" for k in ("TEXTQL_API_KEY", "TEXTQL_MEMBER_ID", "TEXTQL_BASE_URL")}
    out = await _run("blocks_live.py", env)
    assert "answer:" in out and "python" in out and "errors: []" in out


# Examples run by this file; the others must be named (by their path under examples/) in
# another test file (of this folder or another under tests/), which runs them.
TESTED_HERE = {"print_stream.py", "blocks_live.py"}


def example_paths() -> set[str]:
    return {p.relative_to(EXAMPLES).as_posix() for p in EXAMPLES.rglob("*.py")}


def test_every_example_is_tested() -> None:
    present = example_paths()
    assert {"batch_csv.py", "sse_relay.py", "websocket_relay/app.py"} <= present
    untested = present - TESTED_HERE - _tested_elsewhere(present)
    assert not untested, f"examples without a test: {sorted(untested)}"


def _tested_elsewhere(present: set[str]) -> set[str]:
    here = pathlib.Path(__file__).parent
    names: set[str] = set()
    # this folder, and any other test folder devoted to one example (tests/fastapi_relay/)
    for path in here.parent.rglob("test_*.py"):
        if path.name != "test_examples.py":
            text = path.read_text()
            names |= {name for name in present if f'"{name}"' in text}
    return names


def test_examples_do_not_embed_credentials() -> None:
    for path in EXAMPLES.rglob("*"):
        if path.suffix not in (".py", ".html", ".md"):
            continue
        text = path.read_text()
        assert "api_key=\"" not in text and "Bearer " not in text, path.name
