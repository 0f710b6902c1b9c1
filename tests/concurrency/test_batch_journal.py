"""The batch journal (single process): chat ids journaled on arrival, started questions recovered.

The same :mod:`textql_async._journal` / :mod:`textql_async._journaled` code runs the Dask
batch; these tests pin it down in one process against an in-process FakeTextQL.
"""

from __future__ import annotations

import asyncio
import json
import pathlib
from typing import Any

import anyio
import pytest

from textql_async._journal import BatchSink, plan_batch
from textql_async._journaled import Work, journaled_batch, work_of
from textql_async.cli import main
from textql_async.cli._batch import BatchOptions, run_batch_command
from textql_async.testing import DropAfter, FakeTextQL, Stall

SECRET = "sk-journal-secret-0123456789"
MEMBER = "member-journal"


@pytest.fixture(autouse=True)
def _creds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEXTQL_API_KEY", SECRET)
    monkeypatch.setenv("TEXTQL_MEMBER_ID", MEMBER)
    monkeypatch.delenv("TEXTQL_BASE_URL", raising=False)


def lines(path: pathlib.Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def asks(fake: FakeTextQL) -> dict[str, int]:
    return dict(fake.asks)


async def test_an_interrupted_question_is_recovered_on_rerun_never_asked_again(
    tmp_path: pathlib.Path,
) -> None:
    source = tmp_path / "questions.txt"
    source.write_text("fast one\nstuck\nfast two\n")
    out = tmp_path / "answers.jsonl"
    journal = tmp_path / "answers.jsonl.journal"
    async with FakeTextQL(SECRET, MEMBER) as fake:
        fake.inject(Stall(after_events=3), question="stuck")  # chat id sent, then silence
        async with fake.client() as client:
            run = asyncio.ensure_future(run_batch_command(client, BatchOptions(str(source), str(out), recover_stable_for=0.2)))
            for _ in range(500):
                if len(lines(out)) == 2 and any(j["state"] == "started" for j in lines(journal) if j["index"] == 1):
                    break
                await asyncio.sleep(0.01)
            run.cancel()  # the batch is interrupted while "stuck" is in flight
            with pytest.raises(asyncio.CancelledError):
                await run
        assert {line["index"] for line in lines(out)} == {0, 2}
        stuck = [j for j in lines(journal) if j["index"] == 1]
        assert [j["state"] for j in stuck] == ["started"] and stuck[0]["chat_id"]

        code = await asyncio.to_thread(main, ["batch", str(source), "--out", str(out), "--base-url", fake.url, "--recover-stable-for", "0.2"])
        assert code == 0
        assert asks(fake) == {"fast one": 1, "stuck": 1, "fast two": 1}  # recovered, not re-asked
    final = lines(out)
    assert len(final) == 3 and final[2]["index"] == 1 and final[2]["recovered"] is True
    assert final[2]["chat_id"] == stuck[0]["chat_id"] and final[2]["answer"]
    assert [j["state"] for j in lines(journal) if j["index"] == 1] == ["started", "recovered"]


async def test_chat_ids_are_journaled_before_answers_and_drops_recovered_in_run(
    tmp_path: pathlib.Path,
) -> None:
    source = tmp_path / "questions.txt"
    source.write_text("one\ndropped\nthree\n")
    out = tmp_path / "answers.jsonl"
    async with FakeTextQL(SECRET, MEMBER) as fake:
        fake.inject(DropAfter(events=4), question="dropped")
        code = await asyncio.to_thread(main, ["batch", str(source), "--out", str(out), "--base-url", fake.url, "--recover-stable-for", "0.2"])
        assert code == 0 and asks(fake) == {"one": 1, "dropped": 1, "three": 1}
    journal = lines(tmp_path / "answers.jsonl.journal")
    for index in range(3):
        states = [j["state"] for j in journal if j["index"] == index]
        assert states == ["started", "recovered" if index == 1 else "answered"]
    answers = {a["index"]: a for a in lines(out)}
    assert answers[1]["recovered"] is True and answers[0]["recovered"] is False


async def test_the_started_hook_runs_before_any_block_and_is_awaited() -> None:
    seen: list[tuple[str, int]] = []
    async with FakeTextQL(SECRET, MEMBER, event_delay=0.01) as fake, fake.client() as client:

        async def on_started(index: int, chat_id: str) -> None:
            await asyncio.sleep(0.05)  # slower than the answer's first blocks
            seen.append((chat_id, index))

        works = [Work(0, "first"), Work(1, "second")]
        items = [
            item
            async for item in journaled_batch(client.ana, works, concurrency=2, on_started=on_started)
        ]
    assert sorted(i for _, i in seen) == [0, 1]  # awaited before each answer came back
    by_index = {work_of(item).index: item for item in items}
    assert {chat for chat, _ in seen} == {by_index[i].result.chat_id for i in (0, 1)}  # type: ignore[union-attr]


async def test_journaled_batch_rejects_bad_arguments_before_any_request() -> None:
    async with FakeTextQL(SECRET, MEMBER) as fake, fake.client() as client:
        with pytest.raises(TypeError, match="unknown ask argument"):
            journaled_batch(client.ana, [Work(0, "q")], concurrency=1, ask_args={"datset": "x"})
        with pytest.raises(ValueError):
            journaled_batch(client.ana, [Work(0, "  ")], concurrency=1)
        assert fake.requests == []


def test_plan_reads_out_and_journal(tmp_path: pathlib.Path) -> None:
    out = tmp_path / "a.jsonl"
    questions = ["q0", "q1", "q2", "q3", "q4", "q5"]
    out.write_text(
        json.dumps({"index": 0, "question": "q0", "error": None})
        + "\n"
        + json.dumps({"index": 3, "question": "q3", "error": "ServerError: boom"})
        + "\n"
        + '{"index": 5, "quest'  # cut short by a crash
    )
    (tmp_path / "a.jsonl.journal").write_text(
        "\n".join(
            json.dumps(j)
            for j in [
                {"index": 1, "chat_id": "c1", "state": "started"},
                {"index": 2, "chat_id": "c2", "state": "started"},
                {"index": 2, "chat_id": "c2", "state": "answered"},
                {"index": 4, "chat_id": "c4", "state": "started"},
                {"index": 4, "chat_id": "c4", "state": "failed"},  # recovery timed out: retry it
                {"index": 99, "chat_id": "far", "state": "started"},  # not in this file
                {"index": "x", "state": "started"},
            ]
        )
        + "\n{broken"
    )
    plan = plan_batch(questions, str(out))
    assert plan.skipped == [0, 2]
    assert plan.recover == {1: "c1", 4: "c4"}
    assert plan.ask == [3, 5]
    assert plan.todo == [1, 3, 4, 5]


def test_sink_writes_one_line_per_question(tmp_path: pathlib.Path) -> None:
    out = tmp_path / "a.jsonl"
    with BatchSink.open(str(out), 1) as sink:
        sink.started(0, "c0")
        sink.started(0, "c0")  # a retried task reports it again
        line = {"index": 0, "question": "q", "chat_id": "c0", "answer": "a", "error": None, "recovered": True}
        assert sink.result(line) is True
        assert sink.result(line) is False  # recovered twice: written once
    assert len(lines(out)) == 1
    assert [j["state"] for j in lines(tmp_path / "a.jsonl.journal")] == ["started", "recovered"]
    assert (sink.counts.recovered, sink.counts.done) == (1, 1)


def test_unwritable_out_is_a_clear_error(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "q.txt"
    source.write_text("one\n")
    code = main(["batch", str(source), "--out", str(tmp_path / "no" / "a.jsonl"), "--base-url", "http://127.0.0.1:9"])
    assert code == 2 and "cannot write" in capsys.readouterr().err


async def test_a_stop_asks_nothing_new_and_cuts_in_flight_questions_once_journaled() -> None:
    from textql_async._journaled import BatchInterrupted

    started: list[int] = []
    stop = anyio.Event()
    async with FakeTextQL(SECRET, MEMBER) as fake, fake.client() as client:
        fake.inject(Stall(after_events=3), question="stuck")

        def on_started(index: int, chat_id: str) -> None:
            started.append(index)
            stop.set()  # interrupted right after the chat id arrived

        works = [Work(0, "stuck"), Work(1, "never asked")]
        batch = journaled_batch(client.ana, works, concurrency=1, on_started=on_started, stop=stop)
        items = [item async for item in batch]
        assert asks(fake) == {"stuck": 1}
    assert started == [0]
    assert all(isinstance(item.error, BatchInterrupted) for item in items) and len(items) == 2
