"""``examples/module_level_client.py``: one client, three ``asyncio.run`` calls."""

from __future__ import annotations

import os
import pathlib
import sys

import anyio

from textql_async.testing import FakeTextQL

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "module_level_client.py"


async def test_module_level_client_runs_against_the_fake() -> None:
    async with FakeTextQL() as fake:
        env = {"TEXTQL_API_KEY": fake.api_key, "TEXTQL_MEMBER_ID": fake.member_id,
               "TEXTQL_BASE_URL": fake.url}  # fmt: skip
        result = await anyio.run_process(
            [sys.executable, "-W", "error", str(EXAMPLE), "Which store is the largest?"],
            env={**os.environ, **env},
            check=False,
        )
        questions = sorted(r.query["query"] for r in fake.requests if r.path == "/api/ana")
    out, err = result.stdout.decode(), result.stderr.decode()
    assert result.returncode == 0, err
    assert "0: " in out and "1: " in out and "failed" not in out
    assert "characters of text" in out and "\n\n" in out  # the paragraphs between TextBlocks
    assert questions == ["Revenue by month?", "Which store is the largest?", "Which store is the largest?"]
    assert "Traceback" not in err and "Unclosed" not in err
