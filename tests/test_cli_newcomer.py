"""What a new user tripped over in the CLI: plurals, help texts, the fake's port, piped output."""

from __future__ import annotations

import argparse
import asyncio
import pathlib
import re

import pytest

import textql_async
from textql_async.cli import _main, main
from textql_async.cli._batch import read_questions
from textql_async.models.ana import TextBlock
from textql_async.testing import FakeTextQL

KEY = "sk-cli-newcomer"
MEMBER = "member-cli-newcomer"
BOX = re.compile("[\u2500-\u257f]")  # rich's box-drawing characters
README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(autouse=True)
def _creds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEXTQL_API_KEY", KEY)
    monkeypatch.setenv("TEXTQL_MEMBER_ID", MEMBER)
    monkeypatch.delenv("TEXTQL_BASE_URL", raising=False)


def _one_block_answer(fake: FakeTextQL) -> None:
    fake.add_answer(
        "one block?",
        [
            ("chatId", "chat-one"),
            ("userMsgId", 1),
            ("assistantMsgId", 2),
            ("block", {"tag": "TextBlock", "contents": "Just one.", "id": "b1"}),
            ("message", "done"),
        ],
    )


async def test_piped_ask_prints_plain_text_and_one_block(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # capsys' stdout is not a terminal, rich is installed: the old CLI drew rich panels here
    async with FakeTextQL(KEY, MEMBER) as fake:
        _one_block_answer(fake)
        assert await asyncio.to_thread(main, ["ask", "one block?", "--base-url", fake.url]) == 0
    out = capsys.readouterr().out
    assert "Just one." in out
    assert BOX.search(out) is None, out
    assert "\x1b[" not in out  # no colours either
    assert "1 block ·" in out and "1 blocks" not in out


async def test_piped_chats_and_messages_are_plain_too(capsys: pytest.CaptureFixture[str]) -> None:
    async with FakeTextQL(KEY, MEMBER) as fake:
        _one_block_answer(fake)
        async with fake.client() as client:
            chat_id = (await client.ana.ask("one block?")).chat_id
        assert await asyncio.to_thread(main, ["chats", "--base-url", fake.url]) == 0
        assert await asyncio.to_thread(main, ["messages", chat_id, "--base-url", fake.url]) == 0
    out = capsys.readouterr().out
    assert chat_id in out and "Just one." in out
    assert BOX.search(out) is None, out


def test_live_view_counts_one_block() -> None:
    from rich.console import Console

    from textql_async.cli._render import LiveView

    view = LiveView()
    view.update([TextBlock(contents="hello", id="b1")])
    console = Console(width=60, height=10, record=True, force_terminal=False)
    console.print(view)
    text = console.export_text()
    assert "1 block," in text and "1 blocks" not in text


def test_stream_error_message_counts_one_block() -> None:
    from textql_async import StreamError
    from textql_async.sansio.fold import AnaFold

    fold = AnaFold()
    fold.feed("chatId", '"c"')
    fold.feed("block", '{"tag": "TextBlock", "contents": "x", "id": "b1"}')
    message = _main._describe(StreamError("cut", snapshot=fold.snapshot))
    assert message.endswith("(1 block arrived)")


@pytest.mark.parametrize("command", [["chats"], ["messages", "CHAT"]])
def test_json_flag_is_in_the_help_of_chats_and_messages(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command[:1], "--help"]) == 0
    out = capsys.readouterr().out
    help_line = next(line for line in out.splitlines() if line.strip().startswith("--json"))
    assert "JSON" in help_line and "live view" not in help_line  # chats has no live view


def test_fake_server_documented_port_is_its_default() -> None:
    parser = _main.build_parser()
    defaults: dict[str, object] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            defaults = {a.dest: a.default for a in action.choices["fake-server"]._actions}
    port = defaults["port"]
    readme = README.read_text(encoding="utf-8")
    documented = re.findall(r"fake-server`[^`]*`http://127\.0\.0\.1:(\d+)`", readme)
    assert documented == [str(port)], documented
    assert "fake-server --port 8080" not in readme


def test_batch_files_skip_blank_lines_and_comments(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "questions.txt"
    path.write_text(
        "# revenue questions\n\nWhich store is the largest?\n   # indented comment\n"
        "  Revenue by month?  \n\n#last\nWhat is #1 product?\n",
        encoding="utf-8",
    )
    assert read_questions(str(path)) == [
        "Which store is the largest?",
        "Revenue by month?",
        "What is #1 product?",  # a '#' inside a question is kept
    ]


async def test_batch_command_does_not_ask_comments(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "questions.txt"
    path.write_text("# header\nFirst?\n\n# note\nSecond?\n", encoding="utf-8")
    out = tmp_path / "answers.jsonl"
    async with FakeTextQL(KEY, MEMBER) as fake:
        argv = ["batch", str(path), "--out", str(out), "--base-url", fake.url]
        assert await asyncio.to_thread(main, argv) == 0
        asked = sorted(r.query["query"] for r in fake.requests if r.path == "/api/ana")
    assert asked == ["First?", "Second?"]


def test_block_to_builtins_is_exported_at_the_top_level() -> None:
    assert "block_to_builtins" in textql_async.__all__
    block = TextBlock(contents="hi", id="b1")
    assert textql_async.block_to_builtins(block) == {"tag": "TextBlock", "contents": "hi", "id": "b1"}
