"""The ``textql-async`` command line, in-process (``main(argv)``) and once as a subprocess."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import time
from typing import Any

import pytest
from rich.console import Console

from textql_async import __version__
from textql_async.cli import _ask, _main, main
from textql_async.cli._render import LiveView, plain_blocks, rich_blocks
from textql_async.models.ana import (
    ErrorBlock,
    ImageUrlResult,
    OntologyBlock,
    OntologyContents,
    OntologyResult,
    PythonBlock,
    TextBlock,
    TextResult,
    UnknownBlock,
    UnknownResult,
)
from textql_async.testing import DropAfter, FakeTextQL, HTTPError

SECRET = "sk-cli-test-secret-0123456789"
MEMBER = "member-cli-test"
ANSWER = "The largest store is located in New York"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TEXTQL_API_KEY", "TEXTQL_MEMBER_ID", "TEXTQL_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def creds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEXTQL_API_KEY", SECRET)
    monkeypatch.setenv("TEXTQL_MEMBER_ID", MEMBER)


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


async def run(*argv: str) -> int:
    """``main`` runs its own event loop, so call it from a worker thread."""
    return await asyncio.to_thread(main, list(argv))


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_no_command_prints_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err


def test_demo_prints_answer_and_chats(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--delay", "0"]) == 0
    out = capsys.readouterr().out
    assert ANSWER in out
    assert "1 chat " in out and "fake-chat-" in out


def test_demo_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--json", "--delay", "0", "--question", "Top customers?"]) == 0
    lines = json_lines(capsys.readouterr().out)
    done_at = next(i for i, line in enumerate(lines) if line.get("done"))
    updates, done, chats = lines[:done_at], lines[done_at], lines[done_at + 1 :]
    assert updates and all({"index", "is_new", "block"} <= u.keys() for u in updates)
    assert updates[0]["is_new"] and updates[0]["block"]["tag"] == "TextBlock"
    assert ANSWER in done["answer"]
    assert chats == [
        {
            "id": done["chat_id"],
            "summary": "Top customers?",
            "last_user_message": chats[0]["last_user_message"],
        }
    ]


def test_demo_live_view(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(_ask, "is_terminal", lambda: True)
    monkeypatch.setattr(
        _ask, "make_console", lambda: Console(file=screen, force_terminal=True, width=80, height=24)
    )
    assert main(["demo", "--delay", "0"]) == 0
    assert ANSWER in screen.getvalue()


def test_plain_output_without_rich(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "rich", None)  # import rich -> ImportError
    assert main(["demo", "--delay", "0"]) == 0
    out = capsys.readouterr().out
    assert ANSWER in out and "```python" in out and "[output]" in out
    assert "\x1b[" not in out


async def test_ask_chats_messages_json(creds: None, capsys: pytest.CaptureFixture[str]) -> None:
    async with FakeTextQL(SECRET, MEMBER) as fake:
        code = await run(
            "ask",
            "Largest store?",
            "--json",
            "--base-url",
            fake.url,
            "--dataset",
            "retail",
            "--ontology-connector-id",
            "7",
            "--clifford",
        )
        assert code == 0
        query = fake.requests[-1].query
        assert query["dataset"] == "retail" and query["ontologyConnectorId"] == "7"
        assert query["useOntology"] == "true" and query["clifford"] == "true"
        lines = json_lines(capsys.readouterr().out)
        done = lines[-1]
        assert done["done"] is True and ANSWER in done["answer"]
        assert isinstance(done["user_msg_id"], int) and isinstance(done["assistant_msg_id"], int)
        assert {line["block"]["tag"] for line in lines[:-1]} == {
            "TextBlock",
            "PythonBlock",
            "OntologyBlock",
        }
        # replace-by-id: one block slot grows through several updates
        assert sum(1 for line in lines[:-1] if line["is_new"]) == 4

        assert await run("chats", "--json", "--base-url", fake.url) == 0
        chats = json_lines(capsys.readouterr().out)
        assert [c["id"] for c in chats] == [done["chat_id"]]

        assert await run("messages", done["chat_id"], "--json", "--base-url", fake.url) == 0
        messages = json_lines(capsys.readouterr().out)
        assert [m["author"]["tag"] for m in messages] == ["User", "Assistant"]

        assert await run("messages", done["chat_id"], "--base-url", fake.url) == 0
        assert ANSWER in capsys.readouterr().out


async def test_ask_with_flags_prints_final_view(capsys: pytest.CaptureFixture[str]) -> None:
    async with FakeTextQL(SECRET, MEMBER) as fake:
        code = await run(
            "ask",
            "Largest store?",
            "--base-url",
            fake.url,
            "--api-key",
            SECRET,
            "--member-id",
            MEMBER,
        )
    captured = capsys.readouterr()
    assert code == 0 and ANSWER in captured.out
    assert SECRET not in captured.out + captured.err


async def test_stream_error_reports_blocks(creds: None, capsys: pytest.CaptureFixture[str]) -> None:
    async with FakeTextQL(SECRET, MEMBER) as fake:
        fake.inject(DropAfter(events=6))
        code = await run("ask", "Largest store?", "--json", "--base-url", fake.url)
    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.startswith("error: ") and "block" in captured.err
    assert "arrived" in captured.err and "Traceback" not in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert SECRET not in captured.out + captured.err


async def test_api_error_exits_1(creds: None, capsys: pytest.CaptureFixture[str]) -> None:
    async with FakeTextQL(SECRET, MEMBER) as fake:
        fake.inject(HTTPError(401), times=None)
        code = await run("chats", "--base-url", fake.url)
    captured = capsys.readouterr()
    assert code == 1 and captured.err.startswith("error: ")
    assert "Traceback" not in captured.err and SECRET not in captured.out + captured.err


def test_missing_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "Largest store?"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().splitlines() == [
        "error: no API key: set TEXTQL_API_KEY (and TEXTQL_MEMBER_ID) or pass --api-key"
    ]


def test_invalid_argument_exits_2(creds: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "", "--base-url", "http://127.0.0.1:9"]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_demo_is_paced_like_a_real_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A lower bound only (sleeps never finish early): the default pace spreads the 32 events
    # of the demo answer over about 3 s, so the live view visibly grows.
    monkeypatch.setitem(sys.modules, "rich", None)
    started = time.monotonic()
    assert main(["demo"]) == 0
    assert time.monotonic() - started >= 31 * 0.1
    out = capsys.readouterr().out
    assert ANSWER in out and "4 blocks · 3." in out


def test_without_rich_a_terminal_gets_a_hint_and_plain_text(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "rich", None)
    monkeypatch.setattr(_ask, "is_terminal", lambda: True)
    assert main(["demo", "--delay", "0"]) == 0
    captured = capsys.readouterr()
    assert "pip install 'textql-async[cli]'" in captured.err
    assert ANSWER in captured.out and "\x1b[" not in captured.out


def test_keyboard_interrupt_is_quiet(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(coro: Any) -> None:
        coro.close()
        raise KeyboardInterrupt

    monkeypatch.setattr(_main, "run_loop", interrupted)
    assert main(["demo"]) == 130
    assert capsys.readouterr() == ("", "")


def test_views_of_every_block_kind() -> None:
    blocks = [
        TextBlock("t", "# Title\nsome *text*"),
        PythonBlock(
            "p",
            "print(1)",
            [
                TextResult("1"),
                ImageUrlResult(url="https://x.test/a.png"),
                UnknownResult("TableResult", {}),
            ],
        ),
        OntologyBlock(
            "o",
            OntologyContents(
                "biggest?", OntologyResult(complete=True, sql_query="SELECT 1", oai_output="ok")
            ),
        ),
        ErrorBlock("boom"),
        UnknownBlock("ChartBlock", "c", {"tag": "ChartBlock"}),
    ]
    screen = io.StringIO()
    Console(file=screen, width=60).print(rich_blocks(blocks))
    for text in (
        "Title",
        "print(1)",
        "https://x.test/a.png",
        "TableResult",
        "SELECT 1",
        "ok",
        "boom",
        "ChartBlock",
    ):
        assert text in screen.getvalue()
    plain = plain_blocks(blocks)
    for text in (
        "print(1)",
        "[image] https://x.test/a.png",
        "sql: SELECT 1",
        "[error] boom",
        "[ChartBlock block]",
    ):
        assert text in plain


def test_live_view_shows_the_tail_and_a_spinner() -> None:
    view = LiveView()
    view.update(tuple(TextBlock(str(i), f"line {i}") for i in range(30)))
    screen = io.StringIO()
    Console(file=screen, width=40, height=10, force_terminal=True).print(view)
    text = screen.getvalue()
    assert "more lines" in text and "line 29" in text and "line 0\n" not in text
    assert "Ana is working" in text and "30 blocks" in text


def test_subprocess_demo_json_and_missing_key() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEXTQL_")}
    done = subprocess.run(
        [sys.executable, "-m", "textql_async.cli", "demo", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = json_lines(done.stdout)
    assert any(line.get("done") for line in lines)
    missing = subprocess.run(
        [sys.executable, "-m", "textql_async.cli", "chats"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: no API key") and "Traceback" not in missing.stderr
