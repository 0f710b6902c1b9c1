"""``textql_async.sync.TextQL``: the blocking facade, against a FakeTextQL on its own thread."""

from __future__ import annotations

import asyncio
import gc
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from textql_async import (
    AnaResult,
    BatchItem,
    BlockUpdate,
    ChatSummary,
    ConfigurationError,
    ServerError,
    Snapshot,
    StreamError,
    TextBlock,
)
from textql_async.sync import TextQL
from textql_async.testing import DropAfter, FakeTextQL, HTTPError

QUESTION = "Which store is the largest?"
ANSWER = "The largest store is located in New York, at 150,000 sq ft."


class ThreadedFake:
    """A FakeTextQL serving from a background thread with its own event loop."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self.fake: FakeTextQL | None = None
        self._thread = threading.Thread(target=asyncio.run, args=(self._serve(),), daemon=True)

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with FakeTextQL(**self._kwargs) as fake:
            self.fake = fake
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> FakeTextQL:
        self._thread.start()
        assert self._ready.wait(10), "the fake server did not start"
        assert self.fake is not None
        return self.fake

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def call(self, fn: Any, *args: Any) -> Any:
        """Run a plain function on the fake's loop thread (e.g. ``fake.inject``)."""
        assert self._loop is not None
        done = threading.Event()
        out: list[Any] = []

        def run() -> None:
            out.append(fn(*args))
            done.set()

        self._loop.call_soon_threadsafe(run)
        assert done.wait(5)
        return out[0]


@pytest.fixture
def threaded() -> Iterator[ThreadedFake]:
    runner = ThreadedFake()
    with runner:
        yield runner


@pytest.fixture
def fake(threaded: ThreadedFake) -> FakeTextQL:
    assert threaded.fake is not None
    return threaded.fake


def make_client(fake: FakeTextQL, **kwargs: Any) -> TextQL:
    return TextQL(api_key=fake.api_key, member_id=fake.member_id, base_url=fake.url, **kwargs)


def sync_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "textql-sync"]


def test_ask_and_history(fake: FakeTextQL) -> None:
    with make_client(fake) as client:
        result = client.ana.ask(QUESTION)
        assert isinstance(result, AnaResult) and result.answer == ANSWER
        summaries = client.ana.chat_summaries()
        assert [type(s) for s in summaries] == [ChatSummary]
        assert summaries[0].inner_id == result.chat_id
        messages = client.ana.chat_messages(result.chat_id)
        assert [m.author.tag for m in messages] == ["User", "Assistant"]


def test_stream_as_with_and_plain_for(fake: FakeTextQL) -> None:
    with make_client(fake) as client:
        with client.ana.stream(QUESTION) as stream:
            updates = list(stream)
            snapshot = stream.snapshot
        assert updates and all(isinstance(u, BlockUpdate) for u in updates)
        assert isinstance(snapshot, Snapshot) and snapshot.done
        assert snapshot.answer == ANSWER
        assert sum(u.is_new for u in updates) == len(snapshot.blocks) == 4

        with client.ana.stream(QUESTION) as stream:
            text = "".join(stream.text_deltas())
        assert isinstance(text, str) and text.endswith(ANSWER)

        with client.ana.stream(QUESTION) as stream:
            snapshots = list(stream.snapshots())
        assert snapshots[-1].done and snapshots[-1].blocks == snapshot.blocks

        with client.ana.stream(QUESTION) as stream:
            final = stream.final()
        assert final.answer == ANSWER


def test_leaving_a_stream_early_closes_it(threaded: ThreadedFake, fake: FakeTextQL) -> None:
    fake.event_delay = 0.05
    with make_client(fake) as client:
        with client.ana.stream(QUESTION) as stream:
            for update in stream:
                assert isinstance(update.block, TextBlock)
                break
        # the async wait_for_* helpers belong to the fake's loop: poll from here
        for _ in range(200):
            if fake.active_streams == 0:
                break
            threading.Event().wait(0.01)
        assert fake.active_streams == 0


def test_batch(fake: FakeTextQL) -> None:
    questions = [f"question {i}" for i in range(6)]
    with make_client(fake) as client:
        progress: list[int] = []
        items = list(
            client.ana.batch(
                questions, concurrency=3, ordered=True, progress=lambda i, d, t: progress.append(d)
            )
        )
    assert [type(i) for i in items] == [BatchItem] * 6
    assert [i.query for i in items] == questions
    assert all(i.ok and i.result is not None and i.result.answer == ANSWER for i in items)
    assert progress == [1, 2, 3, 4, 5, 6]


def test_errors_are_the_async_clients(threaded: ThreadedFake, fake: FakeTextQL) -> None:
    with make_client(fake, max_retries=0) as client:
        threaded.call(fake.inject, HTTPError(500))
        with pytest.raises(ServerError):
            client.ana.ask(QUESTION)
        threaded.call(fake.inject, DropAfter(events=6))
        with pytest.raises(StreamError) as caught:
            client.ana.ask(QUESTION, recover=False)
        assert caught.value.snapshot is not None and caught.value.snapshot.blocks
        with pytest.raises(ValueError):
            client.ana.ask("")


def test_usable_inside_a_running_event_loop(fake: FakeTextQL) -> None:
    """As in Jupyter: a loop is already running on the calling thread."""

    async def notebook_cell() -> tuple[str | None, int]:
        asyncio.get_running_loop()  # a loop is running here
        with make_client(fake) as client:
            answer = client.ana.ask(QUESTION).answer
            with client.ana.stream(QUESTION) as stream:
                count = sum(1 for _ in stream)
        return answer, count

    answer, count = asyncio.run(notebook_cell())
    assert answer == ANSWER and count > 4


def test_close_stops_the_thread_and_leaves_no_warnings(fake: FakeTextQL) -> None:
    before = len(sync_threads())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = make_client(fake)
        assert len(sync_threads()) == before + 1
        assert client.ana.ask(QUESTION).answer == ANSWER
        with client.ana.stream(QUESTION) as stream:
            for _ in stream:
                break  # an abandoned stream, closed by the `with`
        iterator = iter(client.ana.batch(["a", "b", "c"], concurrency=1))
        next(iterator)  # an abandoned batch
        client.close()
        client.close()  # idempotent
        del iterator, stream
        gc.collect()
    assert len(sync_threads()) == before
    assert not [w for w in caught if issubclass(w.category, (ResourceWarning, RuntimeWarning))]
    with pytest.raises(RuntimeError, match="closed"):
        client.ana.ask(QUESTION)


def test_missing_credentials_raise_and_leave_no_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEXTQL_API_KEY", raising=False)
    before = len(sync_threads())
    with pytest.raises(ConfigurationError):
        TextQL()
    assert len(sync_threads()) == before


def test_repr_hides_the_key(fake: FakeTextQL) -> None:
    with make_client(fake) as client:
        assert fake.api_key not in repr(client)
        assert "sync" in repr(client.ana)


def test_request_options_raw_responses_and_hooks(fake: FakeTextQL) -> None:
    from textql_async import RawResponse, RequestInfo

    seen: list[RequestInfo] = []

    async def on_request(info: RequestInfo) -> None:
        seen.append(info)

    with make_client(fake, on_request=on_request) as client:
        models = client.models.list(extra_headers={"X-Sync": "1"}, extra_query={"v": 2})
        assert models[0].request_id is not None
        sent = fake.requests[-1]
        assert (sent.headers["X-Sync"], sent.query["v"]) == ("1", "2")
        copy = client.with_options(timeout=5, default_headers={"X-Copy": "yes"})
        copy.chats.list()
        assert fake.requests[-1].headers["X-Copy"] == "yes"
        raw = client.with_raw_response.chats.list()
        assert isinstance(raw, RawResponse) and raw.status_code == 200
        assert raw.parsed.request_id == raw.request_id
        ask = client.with_raw_response.ana.ask(QUESTION)
        assert ask.parsed.answer == ANSWER
    assert [i.operation for i in seen] == ["models.list", "chats.list", "chats.list", "ana.ask"]
