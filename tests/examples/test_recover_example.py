"""``examples/recover_after_drop.py`` runs against its embedded FakeTextQL, as a user runs it."""

from __future__ import annotations

import os
import pathlib
import sys

import anyio

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "examples" / "recover_after_drop.py"


async def test_recover_example_finishes_the_answer_and_refuses_a_partial_one() -> None:
    assert SCRIPT.name == "recover_after_drop.py"
    env = {**os.environ, "TEXTQL_API_KEY": "", "TEXTQL_MEMBER_ID": "", "TEXTQL_BASE_URL": ""}
    result = await anyio.run_process([sys.executable, str(SCRIPT)], env=env, check=False)
    assert result.returncode == 0, result.stderr.decode()
    lines = result.stdout.decode().splitlines()
    assert lines[0] == "stream dropped after 2 blocks"
    assert lines[1] == (
        "recovered=True, 4 blocks, answer: "
        "The largest store is located in New York, at 150,000 sq ft."
    )
    assert lines[2].startswith("not proven complete (PythonBlock ")
    assert lines[2].endswith("has no results yet); best state: 2 blocks")
