"""The batch on a real Dask ``LocalCluster`` (2 worker processes) against a fake in its own process.

The fake counts every ask per question and the peak of concurrent streams
(``GET /_fake/stats``), so "asked exactly once" and "at most ``concurrency``
streams over both workers" are measured where the load lands, not in the SDK.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import pathlib
import signal
from collections import Counter
from typing import Any

import pytest
from _dask_kit import FakeProcess
from distributed import Client, LocalCluster

from textql_async import ConfigurationError
from textql_async.distributed import run_batch


def lines(path: pathlib.Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def options(fake: FakeProcess) -> dict[str, Any]:
    return {"api_key": "test-key", "member_id": "test-member", "base_url": fake.url}


async def stats(fake: FakeProcess) -> dict[str, Any]:
    return await asyncio.to_thread(fake.stats)


async def between_waves(fake: FakeProcess, out: pathlib.Path, min_done: int) -> None:
    """Wait for a moment when streams are open and none just started.

    A question is journaled once its chat id arrives, a few ms after its request;
    killing a process inside that window would (rightly) ask it again. Answers here
    take about a second and questions start in waves, so this waits until the
    newest one is 0.25 s old.
    """
    for _ in range(2000):
        now = await stats(fake)
        age = now["last_ask_age"]
        if (
            len(lines(out)) >= min_done
            and now["active_streams"] >= 5
            and age is not None
            and 0.25 < age < 0.6
        ):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"no quiet moment to interrupt: {now}")


async def busy_worker_pids(dask_client: Client) -> list[int]:
    """The pids of the workers running a partition now.

    The scheduler may put every partition on one worker, and a worker running one may
    hold no stream at the moment (the cluster-wide semaphore's leases all on the other):
    killing only one of them could lose nothing and prove nothing, so the test kills
    every worker that runs a partition; the open streams are on those.
    """
    pids = await dask_client.run(os.getpid)
    processing = await dask_client.processing()
    busy = sorted(pids[address] for address, keys in processing.items() if keys)
    assert busy, f"no worker is running a partition: {processing}"
    return busy


async def test_300_questions_at_most_20_streams_over_both_workers(
    cluster: LocalCluster, fake_process: Any, tmp_path: pathlib.Path
) -> None:
    fake = fake_process(event_delay=0.01)
    questions = [f"peak question {i}" for i in range(300)]
    out = tmp_path / "answers.jsonl"
    async with Client(cluster.scheduler_address, asynchronous=True) as dask_client:
        counts = await run_batch(
            questions,
            dask_client=dask_client,
            concurrency=20,
            out=str(out),
            client_options=options(fake),
        )
    now = await stats(fake)
    assert (counts.answered, counts.recovered, counts.failed) == (300, 0, 0)
    assert 10 <= now["peak_streams"] <= 20  # both workers, one limit
    assert now["asks"] == {q: 1 for q in questions}  # every question asked exactly once
    answers = lines(out)
    assert len(answers) == 300
    assert sorted(a["index"] for a in answers) == list(range(300))
    assert all(a["error"] is None and a["answer"] and a["chat_id"] for a in answers)
    assert {a["question"] for a in answers} == set(questions)
    journal = lines(tmp_path / "answers.jsonl.journal")
    assert Counter(j["state"] for j in journal) == {"started": 300, "answered": 300}
    started = {j["index"]: j["chat_id"] for j in journal if j["state"] == "started"}
    assert started == {a["index"]: a["chat_id"] for a in answers}

    # a rerun finds everything answered: nothing is asked, nothing is written
    async with Client(cluster.scheduler_address, asynchronous=True) as dask_client:
        again = await run_batch(
            questions, dask_client=dask_client, concurrency=20, out=str(out),
            client_options=options(fake),
        )
    assert again.total == 0 and (await stats(fake))["asks_total"] == 300
    assert len(lines(out)) == 300


async def test_killed_workers_cost_no_second_ask(
    cluster: LocalCluster, fake_process: Any, tmp_path: pathlib.Path
) -> None:
    fake = fake_process(event_delay=0.035)  # about 1 s an answer
    questions = [f"kill question {i}" for i in range(80)]
    out = tmp_path / "answers.jsonl"
    async with Client(cluster.scheduler_address, asynchronous=True) as dask_client:
        batch = asyncio.ensure_future(
            run_batch(
                questions,
                dask_client=dask_client,
                concurrency=20,
                out=str(out),
                client_options=options(fake),
                recover_timeout=30,
                recover_stable_for=0.3,  # the fake's history is final at once
            )
        )
        await between_waves(fake, out, min_done=5)
        for victim in await busy_worker_pids(dask_client):
            os.kill(victim, signal.SIGKILL)
        counts = await asyncio.wait_for(batch, 50)
        await dask_client.wait_for_workers(2, timeout=30)  # the nannies restarted them
    now = await stats(fake)
    assert now["asks"] == {q: 1 for q in questions}, "a question was asked twice"
    assert counts.failed == 0 and counts.answered + counts.recovered == 80
    assert counts.recovered >= 1  # the killed workers' questions in flight
    answers = lines(out)
    assert sorted(a["index"] for a in answers) == list(range(80))
    recovered = {a["index"] for a in answers if a["recovered"]}
    assert len(recovered) == counts.recovered
    journal = lines(tmp_path / "answers.jsonl.journal")
    assert {j["index"] for j in journal if j["state"] == "recovered"} == recovered
    started = {j["index"] for j in journal if j["state"] == "started"}
    assert recovered <= started and len(started) == 80
    assert now["history_reads"] >= len(recovered)


async def test_a_failing_question_is_one_failed_line(
    cluster: LocalCluster, fake_process: Any, tmp_path: pathlib.Path
) -> None:
    fake = fake_process(event_delay=0.0, fail=["fail question 3"])
    questions = [f"fail question {i}" for i in range(12)]
    out = tmp_path / "answers.jsonl"
    async with Client(cluster.scheduler_address, asynchronous=True) as dask_client:
        counts = await run_batch(
            questions, dask_client=dask_client, concurrency=4, out=str(out),
            client_options=options(fake),
        )
    assert (counts.answered, counts.failed) == (11, 1)
    answers = {a["index"]: a for a in lines(out)}
    assert len(answers) == 12
    assert answers[3]["error"].startswith("ServerError") and answers[3]["answer"] is None
    assert all(answers[i]["error"] is None for i in answers if i != 3)
    journal = lines(tmp_path / "answers.jsonl.journal")
    assert not [j for j in journal if j["index"] == 3]  # never started: a rerun may ask it


def cli_env(fake: FakeProcess) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TEXTQL_API_KEY="test-key", TEXTQL_MEMBER_ID="test-member", TEXTQL_BASE_URL=fake.url
    )
    return env


@pytest.mark.parametrize("on_dask", [True, False], ids=["dask", "single-process"])
async def test_sigint_then_rerun_asks_only_the_never_started(
    cluster: LocalCluster, fake_process: Any, tmp_path: pathlib.Path, on_dask: bool
) -> None:
    fake = fake_process(event_delay=0.035)
    questions = [f"interrupt question {i}" for i in range(60)]
    source = tmp_path / "questions.txt"
    source.write_text("\n".join(questions) + "\n")
    out = tmp_path / "answers.jsonl"
    argv = [
        "-m", "textql_async.cli", "batch", str(source), "--out", str(out),
        "--concurrency", "10", "--recover-stable-for", "0.3",
    ]
    if on_dask:
        argv += ["--dask", cluster.scheduler_address]
    import sys

    first = await asyncio.create_subprocess_exec(
        sys.executable, *argv, env=cli_env(fake), stderr=asyncio.subprocess.PIPE
    )
    await between_waves(fake, out, min_done=10)
    first.send_signal(signal.SIGINT)
    _, err = await asyncio.wait_for(first.communicate(), 40)
    assert first.returncode == 130, err.decode()
    after_first = lines(out)
    journal = lines(tmp_path / "answers.jsonl.journal")
    answered = {a["index"] for a in after_first}
    in_flight = {j["index"] for j in journal if j["state"] == "started"} - answered
    assert in_flight, "the interrupt found no question in flight"
    asked_first = (await stats(fake))["asks"]
    assert len(answered) < 60 and set(asked_first) == {questions[i] for i in answered | in_flight}

    second = await asyncio.create_subprocess_exec(
        sys.executable, *argv, env=cli_env(fake), stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(second.communicate(), 50)
    assert second.returncode == 0, err.decode()
    now = await stats(fake)
    assert now["asks"] == {q: 1 for q in questions}  # the in-flight ones were not asked again
    answers = lines(out)
    assert sorted(a["index"] for a in answers) == list(range(60))
    recovered = {a["index"] for a in answers if a["recovered"]}
    assert recovered == in_flight
    assert all(a["error"] is None for a in answers)


def test_cli_local_cluster_prints_the_dashboard_line(
    fake_process: Any, tmp_path: pathlib.Path
) -> None:
    import subprocess
    import sys

    fake = fake_process(event_delay=0.0)
    source = tmp_path / "questions.txt"
    source.write_text("local one\nlocal two\nlocal three\n")
    out = tmp_path / "answers.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "textql_async.cli", "batch", str(source), "--out", str(out),
         "--dask", "local:1"],
        env=cli_env(fake), capture_output=True, text=True, timeout=55, check=False,
    )
    assert done.returncode == 0, done.stderr
    loop = "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"
    assert f"Dask local cluster: 1 worker processes ({loop} loops) at tcp://127.0.0.1:" in (
        done.stderr
    )
    assert "dashboard " in done.stderr
    assert sorted(a["question"] for a in lines(out)) == ["local one", "local three", "local two"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--dask", "local:0", "--out", "a.jsonl"], "worker count of at least 1"),
        (["--dask", "local:2"], "--dask needs --out FILE"),
    ],
)
def test_bad_dask_arguments_exit_2(
    argv: list[str], message: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from textql_async.cli import main

    source = tmp_path / "q.txt"
    source.write_text("one\n")
    code = main(["batch", str(source), *argv, "--api-key", "sk-dask-test-0123456789", "--base-url", "http://127.0.0.1:9"])
    assert code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"concurrency": 0}, ValueError, "concurrency"),
        ({"rate": 0}, ValueError, "rate"),
        ({"out": ""}, ValueError, "out must be"),
        ({"partitions": 0}, ValueError, "partitions"),
        ({"datset": "typo"}, TypeError, "unknown ask argument"),
        ({"questions": ["ok", 7]}, TypeError, "a question is a str"),
        ({"questions": ["ok", "  "]}, ValueError, "query"),
        ({"questions": "one string"}, TypeError, "not one string"),
    ],
)
async def test_bad_input_raises_before_anything_runs(
    cluster: LocalCluster,
    tmp_path: pathlib.Path,
    kwargs: dict[str, Any],
    error: type[Exception],
    message: str,
) -> None:
    call: dict[str, Any] = {"questions": ["ok"], "concurrency": 2, "out": str(tmp_path / "a.jsonl")}
    call.update(kwargs)
    async with Client(cluster.scheduler_address, asynchronous=True) as dask_client:
        with pytest.raises(error, match=message):
            await run_batch(call.pop("questions"), dask_client=dask_client, **call)
    assert not (tmp_path / "a.jsonl").exists()


def test_a_synchronous_dask_client_gets_a_clear_error(
    cluster: LocalCluster, tmp_path: pathlib.Path
) -> None:
    with Client(cluster.scheduler_address) as dask_client:
        with pytest.raises(TypeError, match="asynchronous Dask client"):
            asyncio.run(
                run_batch(["q"], dask_client=dask_client, concurrency=1, out=str(tmp_path / "a"))
            )


async def test_rate_is_one_limit_over_the_whole_cluster(
    cluster: LocalCluster, fake_process: Any, tmp_path: pathlib.Path
) -> None:
    fake = fake_process(event_delay=0.0)
    questions = [f"rate question {i}" for i in range(30)]
    async with Client(cluster.scheduler_address, asynchronous=True) as dask_client:
        counts = await run_batch(
            questions, dask_client=dask_client, concurrency=20, rate=10, partitions=4,
            out=str(tmp_path / "a.jsonl"), client_options=options(fake),
        )
    assert counts.answered == 30
    times = (await stats(fake))["ask_times"]
    assert len(times) == 30
    # 10 start leases, each held 1 s: at most 10 starts in any second over all partitions.
    # The fake sees arrivals, a start plus a (new or reused) connection's delay, so the
    # window checked here is 0.8 s: 0.2 s of slack for that jitter.
    busiest = max(sum(1 for u in times if t <= u < t + 0.8) for t in times)
    assert busiest <= 10, times
    assert times[-1] >= 1.5  # 30 starts at 10 a second cannot all fit in the first second


async def test_client_options_are_checked_before_any_question(
    cluster: LocalCluster, fake_process: Any, tmp_path: pathlib.Path
) -> None:
    fake = fake_process(event_delay=0.0)
    out = tmp_path / "a.jsonl"
    async with Client(cluster.scheduler_address, asynchronous=True) as dask_client:
        with pytest.raises(TypeError, match="client_options are AsyncTextQL arguments"):
            await run_batch(
                ["q"], dask_client=dask_client, concurrency=1, out=str(out),
                client_options={"api_kee": "typo"},
            )
        # accepted names, a value only a worker sees: its plugin's setup fails, and the
        # error comes back before any question is asked
        with pytest.raises(ConfigurationError, match="base_url must start with http"):
            await run_batch(
                ["never asked"], dask_client=dask_client, concurrency=1, out=str(out),
                client_options={"api_key": "k", "base_url": "ftp://not-http"},
            )
        # the failed registration was cleaned up: the next run's workers are fine
        counts = await run_batch(
            ["asked"], dask_client=dask_client, concurrency=1, out=str(out),
            client_options=options(fake),
        )
    assert counts.answered == 1 and (await stats(fake))["asks"] == {"asked": 1}


async def test_a_partition_whose_task_failed_gives_failed_lines(
    cluster: LocalCluster, tmp_path: pathlib.Path
) -> None:
    from textql_async._journal import BatchSink
    from textql_async._journaled import Work
    from textql_async.distributed._run import _fail_lost

    def broken() -> None:
        raise RuntimeError("worker lost its disk")

    async with Client(cluster.scheduler_address, asynchronous=True) as dask_client:
        failed = dask_client.submit(broken, pure=False)
        finished = dask_client.submit(int, 1, pure=False)
        with pytest.raises(RuntimeError):
            await failed
        await finished
        out = tmp_path / "a.jsonl"
        with BatchSink.open(str(out), 3) as sink:
            sink.result({"index": 0, "question": "a", "chat_id": "c", "answer": "x", "error": None, "recovered": False})
            await _fail_lost(
                [failed, finished], [[Work(0, "a"), Work(1, "b")], [Work(2, "c")]], sink
            )
    answers = {a["index"]: a for a in lines(out)}
    assert sorted(answers) == [0, 1]  # the finished partition's questions are not touched
    assert answers[1]["error"] == (
        "RuntimeError: its Dask task did not finish: RuntimeError: worker lost its disk"
    )
