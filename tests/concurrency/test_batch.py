"""``client.ana.batch``: ordering, bounded concurrency, rate limit, isolated errors, cancellation."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import anyio
import pytest

from textql_async import BatchAnswer, BatchFailure, BatchItem, ServerError, StreamError
from textql_async.testing import FakeTextQL, HTTPError, block_id


def short_answer(question: str) -> list[Any]:
    """Five events: chat id, a text block growing twice, done."""
    block = block_id(question, 0)
    return [
        ("chatId", f"chat-{block[:8]}"),
        ("block", {"tag": "TextBlock", "id": block, "contents": "Answer"}),
        ("block", {"tag": "TextBlock", "id": block, "contents": f"Answer to {question}"}),
        ("message", "done"),
    ]


class Sampler:
    """Samples ``fake.active_streams`` every millisecond in the background."""

    def __init__(self, fake: FakeTextQL) -> None:
        self.fake = fake
        self.peak = 0

    async def run(self) -> None:
        while True:
            self.peak = max(self.peak, self.fake.active_streams)
            await asyncio.sleep(0.001)


@contextlib.asynccontextmanager
async def sampling(fake: FakeTextQL) -> Any:
    sampler = Sampler(fake)
    task = asyncio.ensure_future(sampler.run())
    try:
        yield sampler
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def arrivals(fake: FakeTextQL) -> list[str]:
    return [r.query["query"] for r in fake.requests if r.path == "/api/ana"]


async def test_completion_order_and_ordered() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        fake.add_answer("slow", short_answer, event_delay=0.1)
        fake.add_answer("fast", short_answer, event_delay=0.0)
        fake.add_answer("medium", short_answer, event_delay=0.05)
        questions = ["slow", "fast", "medium"]

        completed = [item.index async for item in client.ana.batch(questions)]
        assert completed == [1, 2, 0]

        seen: list[tuple[int, int, int | None]] = []

        def progress(item: BatchItem, done: int, total: int | None) -> None:
            seen.append((item.index, done, total))

        items = [
            item async for item in client.ana.batch(questions, ordered=True, progress=progress)
        ]
    assert [item.index for item in items] == [0, 1, 2]
    assert [item.query for item in items] == questions
    # the callback still sees completion order, with a running count
    assert seen == [(1, 1, 3), (2, 2, 3), (0, 3, 3)]
    for item in items:
        assert item.ok and item.error is None and item.result is not None
        assert item.result.answer == f"Answer to {item.query}"


async def test_at_most_concurrency_streams_open() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        fake.add_answer(lambda q: True, short_answer, event_delay=0.02)
        from_progress: list[int] = []

        def progress(item: BatchItem, done: int, total: int | None) -> None:
            from_progress.append(fake.active_streams)

        questions = [f"question {i}" for i in range(20)]
        async with sampling(fake) as sampler:
            items = [
                item async for item in client.ana.batch(questions, concurrency=4, progress=progress)
            ]
    assert sorted(item.index for item in items) == list(range(20))
    assert all(item.ok for item in items)
    assert sampler.peak == 4  # reached, never exceeded
    assert max(from_progress) <= 4 and len(from_progress) == 20


async def test_rate_limit_spaces_request_starts() -> None:
    starts: list[float] = []

    def timed(question: str) -> list[Any]:
        starts.append(time.monotonic())
        return short_answer(question)

    async with FakeTextQL() as fake, fake.client() as client:
        fake.add_answer(lambda q: True, timed)
        questions = [f"q{i}" for i in range(5)]
        items = [i async for i in client.ana.batch(questions, concurrency=5, rate=20)]
    assert len(items) == 5 and all(i.ok for i in items)
    assert len(starts) == 5
    # 1/20 s apart: four intervals of 0.05 s; only a lower bound, never an upper one
    assert starts[-1] - starts[0] >= 0.15


async def test_without_rate_limit_all_start_together() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        fake.add_answer(lambda q: True, short_answer, event_delay=0.05)
        async with sampling(fake) as sampler:
            items = [i async for i in client.ana.batch([f"q{i}" for i in range(6)], concurrency=6)]
    assert len(items) == 6 and sampler.peak == 6


async def test_errors_are_captured_per_item() -> None:
    malformed = [("chatId", "chat-bad"), b"event: block\ndata: {not json\n\n", ("message", "done")]
    async with FakeTextQL() as fake, fake.client() as client:
        fake.add_answer(lambda q: True, short_answer)
        fake.add_answer("malformed", malformed)
        fake.inject(HTTPError(500), times=None, question="broken")
        questions = ["one", "broken", "two", "malformed", "three"]
        items = {
            item.index: item
            async for item in client.ana.batch(questions, max_retries=0, recover=False)
        }
    assert sorted(items) == [0, 1, 2, 3, 4]
    for index in (0, 2, 4):
        item = items[index]
        assert item.ok and item.result is not None and item.error is None
        assert item.result.answer == f"Answer to {questions[index]}"
    broken, bad = items[1], items[3]
    assert not broken.ok and broken.result is None and isinstance(broken.error, ServerError)
    assert broken.error.status == 500
    assert not bad.ok and bad.result is None and isinstance(bad.error, StreamError)
    assert bad.error.snapshot is not None and bad.error.snapshot.chat_id == "chat-bad"
    # max_retries=0 reached ask(): the 500 was not retried
    assert arrivals(fake).count("broken") == 1


async def test_dict_queries_carry_ask_arguments() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        fake.add_answer(lambda q: True, short_answer)
        queries: list[Any] = [
            "plain",
            {"query": "with dataset", "dataset": "retail"},
            {"query": "ontology", "use_ontology": True, "ontology_connector_id": 7},
            {"query": "clifford", "clifford": True, "dataset": None},
        ]
        items = [i async for i in client.ana.batch(queries, ordered=True, dataset="default")]
    assert [i.query for i in items] == queries
    assert all(i.ok for i in items)
    sent = {r.query["query"]: r.query for r in fake.requests if r.path == "/api/ana"}
    assert sent["plain"]["dataset"] == "default"
    assert sent["with dataset"]["dataset"] == "retail"
    assert sent["ontology"]["useOntology"] == "true"
    assert sent["ontology"]["ontologyConnectorId"] == "7"
    assert sent["ontology"]["dataset"] == "default"
    assert sent["clifford"]["clifford"] == "true" and "dataset" not in sent["clifford"]


@pytest.mark.parametrize(
    ("queries", "kwargs", "error"),
    [
        (["fine", ""], {}, ValueError),
        (["fine", "   "], {}, ValueError),
        ([{"dataset": "no query"}], {}, ValueError),
        ([{"query": "x", "use_ontology": True}], {}, ValueError),
        ([{"query": "x", "ontology_connector_id": -1}], {}, ValueError),
        ([{"query": "x", "no_such_argument": 1}], {}, TypeError),
        (["fine", 42], {}, TypeError),
        (["fine"], {"concurrency": 0}, ValueError),
        (["fine"], {"rate": 0}, ValueError),
        (["fine"], {"dataset": ""}, ValueError),
    ],
)
async def test_invalid_input_raises_before_any_request(
    queries: list[Any], kwargs: dict[str, Any], error: type[Exception]
) -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        with pytest.raises(error):
            client.ana.batch(queries, **kwargs)  # raised by the call itself
        await anyio.sleep(0.05)
        assert fake.requests == []


async def test_empty_batch_yields_nothing() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        assert [i async for i in client.ana.batch([])] == []
        assert fake.requests == []


async def all_cut(fake: FakeTextQL) -> None:
    """Every stream closed, and every connection but the idle keep-alive one "fast" used."""
    await fake.wait_for_streams_closed(timeout=5)
    with anyio.fail_after(5):
        while fake.open_connections > 1:  # noqa: ASYNC110
            await anyio.sleep(0.005)


async def _fast_then_slow(fake: FakeTextQL) -> list[str]:
    fake.add_answer("fast", short_answer)
    slow = [("chatId", "chat-slow")] + [
        ("block", {"tag": "TextBlock", "id": "b", "contents": "x" * n}) for n in range(1, 200)
    ]
    fake.add_answer(lambda q: q.startswith("slow"), [*slow, ("message", "done")], event_delay=0.05)
    return ["fast"] + [f"slow {i}" for i in range(9)]


@pytest.mark.parametrize("how", ["break", "aclosing"])
async def test_leaving_the_loop_cancels_in_flight_streams(how: str) -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        questions = await _fast_then_slow(fake)
        batch = client.ana.batch(questions, concurrency=5)
        got: list[BatchItem] = []
        if how == "aclosing":
            async with contextlib.aclosing(batch):  # type: ignore[type-var]
                async for item in batch:
                    got.append(item)
                    break
        else:
            async for item in batch:
                got.append(item)
                break
        del batch  # plain `break`: the generator is finalized as soon as it is unreferenced
        assert [i.query for i in got] == ["fast"] and got[0].ok
        await all_cut(fake)
        started = len(arrivals(fake))
        assert 5 <= started <= 6  # the slot "fast" freed may have started one more
        await anyio.sleep(0.2)
        assert len(arrivals(fake)) == started  # nothing new starts after leaving
        assert fake.active_streams == 0


async def test_cancelling_the_consumer_cancels_in_flight_streams() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        questions = await _fast_then_slow(fake)
        got: list[BatchItem] = []
        with anyio.move_on_after(0.5) as scope:
            async with contextlib.aclosing(client.ana.batch(questions, concurrency=3)) as batch:  # type: ignore[type-var]
                async for item in batch:
                    got.append(item)
        assert scope.cancelled_caught
        assert [i.query for i in got] == ["fast"]
        await all_cut(fake)


async def test_many_concurrent_streams(capsys: pytest.CaptureFixture[str]) -> None:
    streams, concurrency = 200, 50
    async with FakeTextQL(event_delay=0.005) as fake, fake.client() as client:
        questions = [f"How many stores opened in region {i}?" for i in range(streams)]
        expected_answer = (await client.ana.ask(questions[0])).answer
        fake.requests.clear()
        start = time.perf_counter()
        async with sampling(fake) as sampler:
            items = [item async for item in client.ana.batch(questions, concurrency=concurrency)]
        elapsed = time.perf_counter() - start
    assert len(items) == streams and all(item.ok for item in items)
    assert sorted(item.index for item in items) == list(range(streams))
    assert all(item.result is not None and item.result.answer == expected_answer for item in items)
    assert len({item.result.chat_id for item in items if item.result}) == streams
    assert len(arrivals(fake)) == streams
    assert sampler.peak == concurrency
    with capsys.disabled():
        print(
            f"\n[batch] {streams} streams at concurrency {concurrency}: "
            f"peak {sampler.peak} open at once, {elapsed:.2f} s wall"
        )
    assert elapsed < 30


def test_batch_item_exactly_one_of_result_or_error() -> None:
    error: BatchItem = BatchFailure(0, "q", error=RuntimeError("x"))
    assert not error.ok and error.result is None and isinstance(error, BatchItem)
    with pytest.raises(RuntimeError, match="x"):
        error.unwrap()


async def test_a_misspelt_batch_argument_is_a_type_error() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        with pytest.raises(TypeError, match="datset"):
            client.ana.batch(["q"], datset="retail")  # type: ignore[call-arg]
        items = [i async for i in client.ana.batch(["q"], dataset="retail", recover=False)]
        assert [i.ok for i in items] == [True]
        assert [r.query.get("dataset") for r in fake.requests if r.path == "/api/ana"] == ["retail"]


async def test_a_question_dict_overrides_the_batch_defaults() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        questions = ["plain", {"query": "own", "dataset": "mine"}]
        items = [i async for i in client.ana.batch(questions, dataset="shared", ordered=True)]
        assert all(isinstance(i, BatchAnswer) for i in items)
        sent = {r.query["query"]: r.query.get("dataset") for r in fake.requests if r.path == "/api/ana"}
        assert sent == {"plain": "shared", "own": "mine"}


def test_batch_takes_every_argument_of_ask() -> None:
    import inspect

    from textql_async.resources.ana import AnaResource

    ask = inspect.signature(AnaResource.ask).parameters
    batch = inspect.signature(AnaResource.batch).parameters
    for name, parameter in ask.items():
        if name in ("self", "query") or parameter.kind is inspect.Parameter.VAR_KEYWORD:
            continue  # **options (extra_headers=...) go in a question's dict
        assert name in batch, f"batch() lacks ask()'s {name}="
        assert batch[name].default == parameter.default, name
        assert batch[name].annotation == parameter.annotation, name
