"""examples/"batch_csv.py": a CSV of questions in, a CSV of answers out (run as a subprocess)."""

from __future__ import annotations

import csv
import os
import pathlib
import sys

import anyio

from textql_async.testing import FakeTextQL, HTTPError

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
NO_CREDENTIALS = {"TEXTQL_API_KEY": "", "TEXTQL_MEMBER_ID": "", "TEXTQL_BASE_URL": ""}


async def run_example(*args: str, env: dict[str, str]) -> tuple[int, str]:
    result = await anyio.run_process(
        [sys.executable, str(EXAMPLES / "batch_csv.py"), *args],
        env={**os.environ, **env},
        check=False,
    )
    return result.returncode, result.stderr.decode()


def write_csv(path: pathlib.Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def read_csv(path: pathlib.Path) -> list[dict[str, str]]:
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


async def test_batch_csv_on_its_embedded_fake(tmp_path: pathlib.Path) -> None:
    source, target = tmp_path / "questions.csv", tmp_path / "answers.csv"
    questions = [f"Revenue of store {i}, by month?" for i in range(12)]
    write_csv(source, [{"id": str(i), "question": q} for i, q in enumerate(questions)])
    code, err = await run_example(
        str(source), str(target), "--concurrency", "4", env=NO_CREDENTIALS
    )
    assert code == 0, err
    rows = read_csv(target)
    assert list(rows[0]) == ["id", "question", "answer", "chat_id", "error"]
    assert [r["id"] for r in rows] == [str(i) for i in range(12)]  # input order kept
    assert [r["question"] for r in rows] == questions
    assert all(r["answer"].startswith("The largest store") and r["error"] == "" for r in rows)
    assert len({r["chat_id"] for r in rows}) == 12
    assert err.count(" ok: ") == 12


async def test_batch_csv_records_failures_per_row(tmp_path: pathlib.Path) -> None:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    write_csv(
        source,
        [
            {"ask": "Top customers?", "team": "sales"},
            {"ask": "Forbidden question", "team": "ops"},
            {"ask": "", "team": "empty"},
            {"ask": "Churn by region?", "team": "cs"},
        ],
    )
    async with FakeTextQL() as fake:
        fake.inject(HTTPError(403), times=None, question="Forbidden question")
        env = {
            "TEXTQL_API_KEY": fake.api_key,
            "TEXTQL_MEMBER_ID": fake.member_id,
            "TEXTQL_BASE_URL": fake.url,
        }
        code, err = await run_example(str(source), str(target), "--column", "ask", env=env)
        asked = sorted(r.query["query"] for r in fake.requests if r.path == "/api/ana")
    assert code == 1, err  # some failed
    assert asked == ["Churn by region?", "Forbidden question", "Top customers?"]
    rows = read_csv(target)
    assert [r["team"] for r in rows] == ["sales", "ops", "empty", "cs"]
    assert rows[0]["answer"] and rows[0]["error"] == "" and rows[3]["answer"]
    assert rows[1]["answer"] == "" and rows[1]["error"].startswith("PermissionDeniedError")
    assert rows[2]["error"] == "empty question"


async def test_batch_csv_names_a_missing_column(tmp_path: pathlib.Path) -> None:
    source = tmp_path / "in.csv"
    write_csv(source, [{"text": "hello?"}])
    code, err = await run_example(str(source), str(tmp_path / "out.csv"), env=NO_CREDENTIALS)
    assert code == 1 and "no column 'question'" in err and "Traceback" not in err
