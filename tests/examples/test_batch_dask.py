"""examples/"batch_dask.py": questions in, JSON lines out, on a LocalCluster (run as a subprocess)."""

from __future__ import annotations

import json
import os
import pathlib
import sys

import anyio

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
NO_CREDENTIALS = {"TEXTQL_API_KEY": "", "TEXTQL_MEMBER_ID": "", "TEXTQL_BASE_URL": ""}


async def run_example(*args: str) -> tuple[int, str, str]:
    result = await anyio.run_process(
        [sys.executable, str(EXAMPLES / "batch_dask.py"), *args],
        env={**os.environ, **NO_CREDENTIALS},
        check=False,
    )
    return result.returncode, result.stdout.decode(), result.stderr.decode()


async def test_batch_dask_on_its_embedded_fake(tmp_path: pathlib.Path) -> None:
    source, answers = tmp_path / "questions.txt", tmp_path / "answers.jsonl"
    questions = [f"Revenue of store {i}?" for i in range(12)]
    source.write_text("\n".join(questions) + "\n\n")
    code, out, err = await run_example(str(source), str(answers), "--workers", "1")
    assert code == 0, err
    assert out.strip() == "12 answered, 0 recovered, 0 failed, 0 already in " + str(answers)
    lines = [json.loads(line) for line in answers.read_text().splitlines()]
    assert sorted(line["question"] for line in lines) == sorted(questions)
    assert all(line["answer"] and line["chat_id"] and line["error"] is None for line in lines)
    journal = [json.loads(line) for line in (tmp_path / "answers.jsonl.journal").read_text().splitlines()]
    assert sorted(j["index"] for j in journal if j["state"] == "started") == list(range(12))
