"""One behaviour suite for both relay backends (in-process and Redis), against FakeTextQL."""

from __future__ import annotations

import secrets

import anyio
import pytest
from _helpers import Folded, as_wire, read_all, wait_done

from textql_async.relay import AnswerNotFoundError, AnswerState
from textql_async.testing import (
    DropAfter,
    FakeTextQL,
    HTTPError,
    default_answer,
    final_blocks,
    scaled_answer,
)

QUESTION = "Which store has the largest floor space?"


def expected(question: str = QUESTION) -> list[dict[str, object]]:
    return as_wire(
        final_blocks(default_answer(question, chat_id="x", user_msg_id=0, assistant_msg_id=0))
    )


def ana_requests(fake: FakeTextQL) -> int:
    return sum(1 for r in fake.requests if r.path == "/api/ana")


async def test_a_new_reader_gets_a_snapshot_then_numbered_updates_then_done(make_relay) -> None:
    async with FakeTextQL(event_delay=0.002) as fake, fake.client() as client:
        async with make_relay(client) as relay:
            answer_id = await relay.start(QUESTION, owner="alice")
            folded = await read_all(relay.events(answer_id, owner="alice"))
            assert folded.kinds[0] == "snapshot"
            assert folded.kinds[-1] == "done"
            assert set(folded.kinds[1:-1]) == {"update"}
            seqs = [e.seq for e in folded.events]
            assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
            assert folded.blocks == expected()
            done = folded.events[-1].data
            assert done["chat_id"] == fake.chats[0].chat_id
            assert done["answer"] == expected()[-1]["contents"]
            state = await relay.state(answer_id, owner="alice")
            assert isinstance(state, AnswerState) and state.done and state.error is None
            assert state.to_builtins()["blocks"] == expected()
            assert state.answer == done["answer"] and state.seq == folded.events[-1].seq
    assert ana_requests(fake) == 1


async def test_updates_carry_only_the_changed_blocks_with_their_index(make_relay) -> None:
    async with FakeTextQL(event_delay=0.002) as fake, fake.client() as client:
        async with make_relay(client) as relay:
            answer_id = await relay.start(QUESTION, owner="alice")
            state: list[dict[str, object]] = []
            async for event in relay.events(answer_id, owner="alice"):
                if event.kind != "update":
                    continue
                assert event.data["chat_id"] == fake.chats[0].chat_id
                items = event.data["blocks"]
                assert items, "an update without a block"
                indexes = [item["index"] for item in items]
                assert len(set(indexes)) == len(indexes)
                for item in items:
                    index, block = item["index"], item["block"]
                    assert set(block) >= {"tag", "id", "contents"}
                    if index < len(state):
                        assert state[index] != block, "an unchanged block was re-sent"
                        state[index] = block
                    else:
                        assert index == len(state)
                        state.append(block)
            assert state == expected()


async def test_resume_after_a_seq_gets_exactly_the_remaining_events(make_relay) -> None:
    async with FakeTextQL(event_delay=0.01) as fake, fake.client() as client:
        async with make_relay(client) as relay:
            answer_id = await relay.start(QUESTION, owner="alice")
            first = Folded()
            async for event in relay.events(answer_id, owner="alice"):
                first.apply(event)
                if event.kind == "update" and event.seq >= 5:
                    break  # the browser drops here
            last_seen = first.events[-1].seq
            rest = await read_all(relay.events(answer_id, owner="alice", after=last_seen))
            assert rest.events[0].kind == "update" and rest.events[0].seq == last_seen + 1
            assert "snapshot" not in rest.kinds
            resumed = await read_all(relay.events(answer_id, owner="alice", after=last_seen), first)
            assert resumed.blocks == expected()
            # and the whole log, read in one go, is the concatenation
            whole = await read_all(relay.events(answer_id, owner="alice", after=0))
            assert [e.seq for e in whole.events] == [e.seq for e in first.events[1:]]
            assert whole.events[last_seen:] == rest.events
            # a finished answer read after its done event: nothing more
            after_done = await read_all(relay.events(answer_id, owner="alice", after=whole.events[-1].seq))
            assert after_done.events == []


async def test_a_reader_older_than_the_log_gets_a_fresh_snapshot(make_relay) -> None:
    # 400 updates, keep=8: the log keeps the tail only (Redis trims whole nodes of 100)
    script = scaled_answer(40, updates_per_block=10, words_per_update=2)
    async with FakeTextQL() as fake, fake.client() as client:
        fake.add_answer(lambda q: True, script, event_delay=0.001)
        async with make_relay(client, keep=8) as relay:
            answer_id = await relay.start(QUESTION, owner="alice")
            await wait_done(relay, answer_id, "alice")
            late = await read_all(relay.events(answer_id, owner="alice", after=3))
            assert late.kinds == ["snapshot", "done"]
            assert late.events[1].seq == late.events[0].seq + 1
            assert late.events[0].seq > 300
            assert late.blocks == as_wire(final_blocks(script)) == late.events[0].data["blocks"]
            # a bogus future id is no trap either
            future = await read_all(relay.events(answer_id, owner="alice", after=10**9))
            assert future.kinds == ["snapshot", "done"]


async def test_a_slow_live_reader_skips_to_a_snapshot_instead_of_missing_updates(make_relay) -> None:
    script = scaled_answer(40, updates_per_block=10, words_per_update=2)
    async with FakeTextQL() as fake, fake.client() as client:
        fake.add_answer(lambda q: True, script, event_delay=0.002)
        async with make_relay(client, keep=8) as relay:
            answer_id = await relay.start(QUESTION, owner="alice")
            folded = Folded()
            async for event in relay.events(answer_id, owner="alice"):
                folded.apply(event)
                if len(folded.events) == 2:  # the reader stalls until the answer is over
                    await wait_done(relay, answer_id, "alice")
            assert folded.kinds[:2] == ["snapshot", "update"]
            assert folded.kinds.count("snapshot") == 2
            assert folded.kinds[-2:] == ["snapshot", "done"]
            assert folded.blocks == as_wire(final_blocks(script))


async def test_an_upstream_error_is_an_error_event_and_ends_the_readers(make_relay) -> None:
    async with FakeTextQL() as fake, fake.client(max_retries=0) as client:
        fake.inject(HTTPError(400))
        async with make_relay(client) as relay:
            answer_id = await relay.start(QUESTION, owner="alice")
            with anyio.fail_after(10):
                folded = await read_all(relay.events(answer_id, owner="alice"))
            assert folded.kinds == ["snapshot", "error"]
            error = folded.events[-1].data
            assert error["type"] == "BadRequestError"
            assert "400" in error["message"] or error["message"]
            assert error["snapshot"] == {"chat_id": None, "blocks": [], "answer": None}
            state = await relay.state(answer_id, owner="alice")
            assert not state.done and state.error == {"type": "BadRequestError", "message": error["message"]}


async def test_a_broken_stream_that_cannot_be_recovered_is_an_error_with_its_snapshot(make_relay) -> None:
    async with FakeTextQL(answer_completes_after=30) as fake, fake.client(max_retries=0) as client:
        fake.inject(DropAfter(events=8))
        async with make_relay(client, recover_timeout=0.5, recover_stable_for=10) as relay:
            answer_id = await relay.start(QUESTION, owner="alice")
            with anyio.fail_after(15):
                folded = await read_all(relay.events(answer_id, owner="alice"))
            assert folded.kinds[-1] == "error"
            assert folded.events[-1].data["type"] == "RecoveryTimeoutError"
            snapshot = folded.events[-1].data["snapshot"]
            assert snapshot["chat_id"] == fake.chats[0].chat_id
            assert snapshot["blocks"] and snapshot["blocks"] == folded.blocks
    assert ana_requests(fake) == 1


async def test_a_broken_stream_is_finished_from_the_chat_history(make_relay) -> None:
    async with FakeTextQL() as fake, fake.client(max_retries=0) as client:
        fake.inject(DropAfter(events=8))
        async with make_relay(client, recover_stable_for=0.3) as relay:
            answer_id = await relay.start(QUESTION, owner="alice")
            with anyio.fail_after(20):
                folded = await read_all(relay.events(answer_id, owner="alice"))
            assert folded.kinds[-1] == "done"
            assert folded.blocks == expected()
    assert ana_requests(fake) == 1  # finished from GET /api/ana/{chat_id}, never re-asked


async def test_many_readers_of_one_answer_ask_ana_once(make_relay) -> None:
    async with FakeTextQL(event_delay=0.005) as fake, fake.client() as client:
        async with make_relay(client) as relay:
            answer_id = await relay.start(QUESTION, owner="alice")
            results: list[Folded] = []

            async def reader() -> None:
                results.append(await read_all(relay.events(answer_id, owner="alice")))

            async with anyio.create_task_group() as tg:
                for _ in range(20):
                    tg.start_soon(reader)
            assert len(results) == 20
            assert all(r.blocks == expected() and r.kinds[-1] == "done" for r in results)
    assert ana_requests(fake) == 1


async def test_another_owner_and_guessed_ids_are_refused(make_relay) -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        async with make_relay(client) as relay:
            answer_id = await relay.start(QUESTION, owner="alice")
            await read_all(relay.events(answer_id, owner="alice"))
            refusals: list[str] = []
            for guess in [answer_id, secrets.token_urlsafe(16), answer_id[:-1] + "A", "", "../x"]:
                for owner in ("mallory", "Alice", "alice "):
                    with pytest.raises(AnswerNotFoundError) as caught:
                        await relay.state(guess, owner=owner)
                    refusals.append(str(caught.value).replace(repr(guess), "ID"))
                    with pytest.raises(AnswerNotFoundError):
                        async for _ in relay.events(guess, owner=owner):
                            pytest.fail("another owner read an event")
            assert len(set(refusals)) == 1  # unknown and someone else's look the same
            with pytest.raises(AnswerNotFoundError):
                await relay.state(secrets.token_urlsafe(16), owner="alice")
            assert (await relay.state(answer_id, owner="alice")).done


async def test_two_owners_asking_the_same_question_get_two_answers(make_relay) -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        async with make_relay(client) as relay:
            first = await relay.start(QUESTION, owner="alice")
            second = await relay.start(QUESTION, owner="bob")
            assert first != second and QUESTION not in first + second
            a = await read_all(relay.events(first, owner="alice"))
            b = await read_all(relay.events(second, owner="bob"))
            assert a.chat_id != b.chat_id
            assert {a.chat_id, b.chat_id} == {c.chat_id for c in fake.chats}
            with pytest.raises(AnswerNotFoundError):
                await relay.state(first, owner="bob")
    assert ana_requests(fake) == 2


async def test_a_finished_answer_expires_after_its_ttl(make_relay) -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        async with make_relay(client, ttl=0.5) as relay:
            answer_id = await relay.start(QUESTION, owner="alice")
            await read_all(relay.events(answer_id, owner="alice"))
            assert (await relay.state(answer_id, owner="alice")).done
            await anyio.sleep(0.8)
            with pytest.raises(AnswerNotFoundError):
                await relay.state(answer_id, owner="alice")
            with pytest.raises(AnswerNotFoundError):
                async for _ in relay.events(answer_id, owner="alice"):
                    pass


async def test_bad_arguments_raise_before_anything_starts(make_relay) -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        async with make_relay(client) as relay:
            with pytest.raises(ValueError):
                await relay.start("", owner="alice")
            with pytest.raises(ValueError):
                await relay.start(QUESTION, owner="")
            with pytest.raises(TypeError):
                await relay.start(QUESTION, owner="alice", dataset_name="x")
            with pytest.raises(ValueError):
                await relay.start(QUESTION, owner="alice", use_ontology=True)
    assert ana_requests(fake) == 0


async def test_ask_arguments_reach_ana(make_relay) -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        async with make_relay(client) as relay:
            answer_id = await relay.start(QUESTION, owner="alice", dataset="retail", clifford=True)
            await read_all(relay.events(answer_id, owner="alice"))
    (request,) = [r for r in fake.requests if r.path == "/api/ana"]
    assert request.query["dataset"] == "retail" and request.query["clifford"] == "true"
