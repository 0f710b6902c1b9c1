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


def test_every_example_is_tested() -> None:
    tested = {"print_stream.py", "blocks_live.py"}
    present = {p.name for p in EXAMPLES.glob("*.py")}
    assert present <= tested | _tested_elsewhere(), present - tested


def _tested_elsewhere() -> set[str]:
    here = pathlib.Path(__file__).parent
    names: set[str] = set()
    for path in here.glob("test_*.py"):
        if path.name != "test_examples.py":
            names |= {p.name for p in EXAMPLES.glob("*.py") if p.name in path.read_text()}
    return names


def test_examples_do_not_embed_credentials() -> None:
    for path in EXAMPLES.glob("*.py"):
        text = path.read_text()
        assert "api_key=\"" not in text and "Bearer " not in text, path.name
