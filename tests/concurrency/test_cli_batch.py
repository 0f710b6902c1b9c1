"""``textql-async batch``: a file of questions in, JSON lines out as each answer completes."""

from __future__ import annotations

import asyncio
import io
import json
import pathlib
from typing import Any

import pytest
from rich.console import Console

from textql_async.cli import _batch, main
from textql_async.testing import FakeTextQL, HTTPError, block_id

SECRET = "sk-cli-batch-secret-0123456789"
MEMBER = "member-cli-batch"
KEYS = {"index", "question", "chat_id", "answer", "error", "recovered"}


@pytest.fixture(autouse=True)
def _creds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEXTQL_API_KEY", SECRET)
    monkeypatch.setenv("TEXTQL_MEMBER_ID", MEMBER)
    monkeypatch.delenv("TEXTQL_BASE_URL", raising=False)


def answer(question: str) -> list[Any]:
    block = block_id(question, 0)
    return [
        ("chatId", f"chat-{block[:8]}"),
        ("block", {"tag": "TextBlock", "id": block, "contents": f"Answer to {question}"}),
        ("message", "done"),
    ]


def lines(path: pathlib.Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def asked(fake: FakeTextQL) -> list[str]:
    return [r.query["query"] for r in fake.requests if r.path == "/api/ana"]


async def run(*argv: str) -> int:
    """``main`` runs its own event loop: call it from a worker thread while the fake serves."""
    return await asyncio.to_thread(main, list(argv))


QUESTIONS = ["Largest store?", "Revenue by month?", "Bad question", "Top customers?", "Churn?"]


def write_questions(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "questions.txt"
    path.write_text("\n".join([QUESTIONS[0], "", *QUESTIONS[1:3], "   ", *QUESTIONS[3:]]) + "\n")
    return path


async def test_batch_writes_json_lines_and_a_rerun_asks_only_the_failed(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = write_questions(tmp_path)
    out = tmp_path / "answers.jsonl"
    async with FakeTextQL(SECRET, MEMBER) as fake:
        fake.add_answer(lambda q: True, answer)
        fake.inject(HTTPError(400), times=None, question="Bad question")
        code = await run(
            "batch",
            str(questions),
            "--concurrency",
            "16",
            "--out",
            str(out),
            "--base-url",
            fake.url,
        )
        captured = capsys.readouterr()
        assert code == 1  # one question failed
        assert captured.out == ""  # quiet: no terminal
        assert captured.err.startswith("error: 1 of 5 questions failed")
        assert SECRET not in captured.err
        first = lines(out)
        assert len(first) == 5 and all(set(line) == KEYS for line in first)
        by_question = {line["question"]: line for line in first}
        assert [by_question[q]["index"] for q in QUESTIONS] == [0, 1, 2, 3, 4]
        for q in QUESTIONS:
            line = by_question[q]
            if q == "Bad question":
                assert line["answer"] is None and line["recovered"] is False
                assert line["error"].startswith("BadRequestError:")
            else:
                assert line["answer"] == f"Answer to {q}" and line["error"] is None
                assert line["chat_id"].startswith("chat-") and line["recovered"] is False
        assert sorted(asked(fake)) == sorted(QUESTIONS)

        fake.clear_faults()
        fake.requests.clear()
        code = await run("batch", str(questions), "--out", str(out), "--base-url", fake.url)
        assert code == 0 and capsys.readouterr() == ("", "")
        assert asked(fake) == ["Bad question"]  # the answered ones were skipped
        second = lines(out)
        assert second[:5] == first and len(second) == 6
        assert second[5]["question"] == "Bad question" and second[5]["index"] == 2
        assert second[5]["answer"] == "Answer to Bad question" and second[5]["error"] is None

        fake.requests.clear()
        assert await run("batch", str(questions), "--out", str(out), "--base-url", fake.url) == 0
        assert asked(fake) == [] and len(lines(out)) == 6  # nothing left to ask


async def test_lines_are_written_as_answers_complete(tmp_path: pathlib.Path) -> None:
    questions = tmp_path / "q.txt"
    questions.write_text("slow\nfast 1\nfast 2\n")
    out = tmp_path / "a.jsonl"
    async with FakeTextQL(SECRET, MEMBER) as fake:
        fake.add_answer(lambda q: True, answer)
        fake.add_answer("slow", answer, event_delay=0.5)
        task = asyncio.ensure_future(
            run("batch", str(questions), "--out", str(out), "--base-url", fake.url)
        )
        for _ in range(400):  # the fast answers land while the slow one is still streaming
            if out.exists() and len(lines(out)) == 2:
                break
            await asyncio.sleep(0.005)
        assert sorted(line["question"] for line in lines(out)) == ["fast 1", "fast 2"]
        assert fake.active_streams == 1
        assert await task == 0
        assert [line["question"] for line in lines(out)][-1] == "slow"


async def test_stdout_when_no_out_file(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = tmp_path / "q.txt"
    questions.write_text("one\ntwo\n")
    async with FakeTextQL(SECRET, MEMBER) as fake:
        fake.add_answer(lambda q: True, answer)
        code = await run(
            "batch", str(questions), "--base-url", fake.url, "--dataset", "retail", "--rate", "50"
        )
        assert {r.query.get("dataset") for r in fake.requests if r.path == "/api/ana"} == {"retail"}
    captured = capsys.readouterr()
    assert code == 0 and captured.err == ""
    got = [json.loads(line) for line in captured.out.splitlines()]
    assert sorted(line["question"] for line in got) == ["one", "two"]


async def test_progress_bar_on_a_terminal(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(_batch, "is_interactive", lambda: True)
    monkeypatch.setattr(
        _batch,
        "make_progress_console",
        lambda: Console(file=screen, force_terminal=True, width=100),
    )
    questions = write_questions(tmp_path)
    out = tmp_path / "answers.jsonl"
    out.write_text(json.dumps({"question": "Churn?", "error": None}) + "\n" + '{"question": "Larg')
    async with FakeTextQL(SECRET, MEMBER) as fake:
        fake.add_answer(lambda q: True, answer)
        code = await run("batch", str(questions), "--out", str(out), "--base-url", fake.url)
        assert sorted(asked(fake)) == sorted(q for q in QUESTIONS if q != "Churn?")
    assert code == 0
    text = screen.getvalue()
    assert "asking Ana" in text and "4/4" in text and "0 failed" in text
    assert "0 recovered" in text and "/s" in text  # and the answers a second
    assert (
        capsys.readouterr().err.strip()
        == "4 answered, 0 failed, 1 skipped (answered in " + str(out) + " before)"
    )
    # the line cut short by an interrupted run is left alone; new lines start on their own line
    raw = out.read_text().splitlines()
    assert raw[1] == '{"question": "Larg' and len(raw) == 6
    assert all(set(json.loads(line)) == KEYS for line in raw[2:])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["batch", "/no/such/questions.txt"], "error: cannot read /no/such/questions.txt"),
        (["batch", "q.txt", "--concurrency", "0"], "must be at least 1"),
        (["batch", "q.txt", "--rate", "-1"], "must be positive"),
    ],
)
def test_bad_arguments_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--base-url", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
