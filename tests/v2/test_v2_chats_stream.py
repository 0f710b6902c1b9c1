"""``client.chats.stream``: typed events, snapshots, final(), failures, drops and multipart."""

from __future__ import annotations

import gc
import pathlib
import warnings

import pytest

from textql_async import (
    AsyncTextQL,
    ChatFailedError,
    NotFoundError,
    PermissionDeniedError,
    StreamError,
)
from textql_async.models.v2_chats import (
    AssetEvent,
    CellEvent,
    ChatEvent,
    ChatResult,
    ChatSnapshot,
    Done,
    Metadata,
    TextDelta,
    UnknownEvent,
)
from textql_async.testing import FakeTextQL


async def test_events_arrive_typed_and_in_order(fake: FakeTextQL, client: AsyncTextQL) -> None:
    events: list[ChatEvent] = []
    async with client.chats.stream("Revenue by region?", connector_ids=[7]) as stream:
        async for event in stream:
            events.append(event)
    assert [type(e) for e in events] == [
        Metadata, TextDelta, CellEvent, CellEvent, TextDelta, TextDelta, AssetEvent, Done,
    ]
    meta = events[0]
    assert isinstance(meta, Metadata)
    assert meta.chat_id == stream.chat_id and meta.model == "sonnet_4"
    assert meta.is_continuation is False and meta.created_at is not None
    started, finished = (e.cell for e in events if isinstance(e, CellEvent))
    # the same step twice: when it starts (with its query) and when it finishes
    assert started.id == finished.id
    assert (started.type, started.status, started.connector_id) == ("sql", "running", 7)
    assert started.query is not None and started.query.startswith("SELECT")
    assert started.dataframe_preview is None and started.execution_time_ms is None
    assert finished.status == "completed" and finished.query == started.query
    assert finished.dataframe_preview is not None and finished.execution_ms == 42
    asset = events[6]
    assert isinstance(asset, AssetEvent) and asset.asset.cell_id == started.id
    assert events[-1] == Done(status="completed")
    assert fake.v2.received[0].json == {"question": "Revenue by region?", "connector_ids": [7]}
    assert fake.requests[0].headers["Accept"] == "text/event-stream"


async def test_snapshot_replaces_a_cell_by_id_and_concatenates_text(client: AsyncTextQL) -> None:
    statuses: list[tuple[str | None, ...]] = []
    texts: list[str] = []
    async with client.chats.stream("q") as stream:
        async for event in stream:
            snap = stream.snapshot
            statuses.append(tuple(c.status for c in snap.cells))
            if isinstance(event, TextDelta):
                texts.append(event.text)
    final = stream.snapshot
    assert isinstance(final, ChatSnapshot)
    # one slot: running, then replaced in place by its finished version
    assert statuses[2:4] == [("running",), ("completed",)]
    assert len(final.cells) == 1 and final.cells[0].output is not None
    assert final.text == "".join(texts) and len(texts) == 3
    assert final.metadata is not None and final.done == Done(status="completed")
    assert len(final.assets) == 1


async def test_final_returns_the_chat_result(client: AsyncTextQL) -> None:
    async with client.chats.stream("Top customers?") as stream:
        result = await stream.final()
    assert isinstance(result, ChatResult)
    assert result.chat_id == stream.chat_id and result.message_id is not None
    assert (result.status, result.error, result.model) == ("completed", None, "sonnet_4")
    assert "Top customers?" in result.text
    assert [c.status for c in result.cells] == ["completed"]
    assert result.dashboard_url is None
    # the history holds the same answer; the streamed message id is the answer's cell id
    assert result.chat_id is not None
    thread = await client.chats.get(result.chat_id)
    assert thread.messages[-1].content == result.text
    assert thread.messages[-1].cell_id == result.message_id


async def test_text_deltas_and_snapshots_iterators(client: AsyncTextQL) -> None:
    async with client.chats.stream("q") as stream:
        pieces = [piece async for piece in stream.text_deltas()]
    async with client.chats.stream("q") as again:
        snaps = [snap async for snap in again.snapshots()]
    assert "".join(pieces) == stream.snapshot.text
    assert len(snaps) == 8 and snaps[-1].done is not None and snaps[0].text == ""


async def test_streamed_dashboard(client: AsyncTextQL) -> None:
    async with client.chats.stream("Build a revenue dashboard") as stream:
        result = await stream.final()
    assert result.dashboard_url is not None
    assert result.dashboard_url.startswith("https://app.textql.com/dashboards/")


async def test_a_failed_answer_raises_with_the_error_and_partial_result(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    fake.v2.add_answer("q", error="the warehouse timed out")
    async with client.chats.stream("q") as stream:
        with pytest.raises(ChatFailedError) as info:
            await stream.final()
    error = info.value
    assert "the warehouse timed out" in str(error) and error.error == "the warehouse timed out"
    assert error.result.status == "failed" and error.result.chat_id == stream.chat_id
    assert error.result.text.startswith("Here is what I found")
    assert [(c.status, c.error) for c in error.result.cells] == [
        ("failed", "the warehouse timed out")
    ]
    assert error.result.assets == ()


async def test_an_unknown_event_type_is_kept_not_fatal(fake: FakeTextQL, client: AsyncTextQL) -> None:
    progress = {"type": "progress", "percent": 50, "stage": {"name": "querying"}}
    fake.v2.add_answer("q", events=[progress, {"kind": "no type at all"}])
    async with client.chats.stream("q") as stream:
        events = [event async for event in stream]
    unknown = [e for e in events if isinstance(e, UnknownEvent)]
    assert unknown == [UnknownEvent("progress", progress), UnknownEvent(None, {"kind": "no type at all"})]
    assert isinstance(events[-1], Done) and stream.snapshot.done == Done(status="completed")


async def test_unknown_fields_enum_values_and_string_int64_are_tolerated(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    fake.v2.extra_fields = {"added_in_2027": {"nested": [1, 2]}}
    fake.v2.add_answer(
        "q",
        cell={"type": "quantum_sql", "status": "superposed", "execution_time_ms": "9007199254740993"},
    )
    async with client.chats.stream("q") as stream:
        result = await stream.final()
    (cell,) = result.cells
    assert (cell.type, cell.status) == ("quantum_sql", "superposed")
    assert cell.execution_time_ms == "9007199254740993"
    assert cell.execution_ms == 9007199254740993  # int64 beyond a double's precision, exact
    assert result.status == "completed" and result.text
    # the history serves the same cell, unknown fields and all
    assert result.chat_id is not None and cell.id is not None
    fetched = await client.chats.cell(result.chat_id, cell.id)
    assert fetched.status == "superposed" and fetched.execution_ms == 9007199254740993


async def test_malformed_event_is_a_stream_error_and_blank_data_is_skipped(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    fake.v2.add_answer("blank", events=[b"data:\n\n", b": keep-alive\n\n"])
    async with client.chats.stream("blank") as stream:
        assert (await stream.final()).status == "completed"
    fake.v2.add_answer("broken", events=[b"data: {not json\n\n"])
    async with client.chats.stream("broken") as stream:
        with pytest.raises(StreamError, match="malformed") as info:
            await stream.final()
    assert info.value.raw == "{not json"
    assert isinstance(info.value.partial, ChatSnapshot) and info.value.partial.text


async def test_a_dropped_stream_raises_with_the_partial_snapshot(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    fake.v2.add_answer("q", drop_after=4)  # metadata, text, cell started, cell finished
    seen: list[ChatEvent] = []
    async with client.chats.stream("q") as stream:
        with pytest.raises(StreamError) as info:
            async for event in stream:
                seen.append(event)
    assert len(seen) == 4
    partial = info.value.partial
    assert isinstance(partial, ChatSnapshot)
    assert partial.metadata is not None and partial.done is None
    assert [c.status for c in partial.cells] == ["completed"]
    assert partial.text == seen[1].text  # type: ignore[union-attr]
    assert info.value.recoverable
    # the stream stays failed: asking again raises the same error
    with pytest.raises(StreamError):
        await stream.final()


async def test_stream_sends_files_as_multipart(fake: FakeTextQL, client: AsyncTextQL) -> None:
    async with client.chats.stream(
        "What is in this file?", connector_ids=[7], files=[("a.csv", b"x,y\n1,2\n")]
    ) as stream:
        result = await stream.final()
    (received,) = fake.v2.received
    assert received.path == "/v2/chats/stream" and received.content_type == "multipart/form-data"
    assert received.fields == {"question": ["What is in this file?"], "connector_ids": ["7"]}
    assert received.files == [("a.csv", b"x,y\n1,2\n")]
    assert result.cells[0].connector_id == 7


async def test_continuing_a_chat_by_stream(client: AsyncTextQL) -> None:
    first = await client.chats.create("first")
    async with client.chats.stream("second", chat_id=first.chat_id) as stream:
        result = await stream.final()
    assert stream.snapshot.metadata is not None and stream.snapshot.metadata.is_continuation
    assert result.chat_id == first.chat_id


async def test_errors_before_the_stream_starts_are_typed(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    with pytest.raises(PermissionDeniedError):
        async with client.chats.stream("q", model="not_a_model"):
            pass
    with pytest.raises(NotFoundError):
        async with client.chats.stream("q", chat_id="7b3f4c2e-0000-4000-8000-000000000000"):
            pass
    assert len(fake.requests) == 2 and len(fake.v2.store) == 0


async def test_stream_arguments_are_checked_before_any_request(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    with pytest.raises(ValueError, match="model"):
        client.chats.stream("q", model="opus_4", chat_id="c")
    with pytest.raises(ValueError, match="question"):
        client.chats.stream(" ")
    with pytest.raises(ValueError, match="at most 10"):
        client.chats.stream("q", files=[("f", b"")] * 11)
    assert fake.requests == []


async def test_stream_files_open_only_when_the_stream_does(
    fake: FakeTextQL, client: AsyncTextQL, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "q3.csv"
    path.write_bytes(b"quarter,revenue\nQ3,1\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        unused = client.chats.stream("q", files=[path])  # checked, but nothing held open
        del unused
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
    async with client.chats.stream("q", files=[path]) as stream:
        await stream.final()
    assert fake.v2.received[0].files == [("q3.csv", b"quarter,revenue\nQ3,1\n")]
    with pytest.raises(ValueError, match="not a file"):
        client.chats.stream("q", files=[tmp_path / "gone.csv"])
