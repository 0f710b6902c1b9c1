"""Ana finishes server-side when a stream is cut; Disconnect; faults keyed by question."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from textql_async.testing import (
    Disconnect,
    DropAfter,
    FakeTextQL,
    HTTPError,
    Stall,
    Truncate,
    default_answer,
    final_blocks,
    parse_raw_events,
)

SCRIPT: list[tuple[str, object] | bytes] = [
    ("chatId", "c1"),
    ("userMsgId", 1),
    ("assistantMsgId", 2),
    ("block", {"tag": "TextBlock", "contents": "Hel", "id": "b1"}),
    ("block", {"tag": "TextBlock", "contents": "Hello", "id": "b1"}),
    ("block", {"tag": "PythonBlock", "contents": "x = 1", "id": "b2"}),
    ("message", "done"),
]
FINAL = [
    {"tag": "TextBlock", "contents": "Hello", "id": "b1"},
    {"tag": "PythonBlock", "contents": "x = 1", "id": "b2"},
]


async def _read(session: aiohttp.ClientSession, url: str, question: str = "q") -> bytes:
    async with session.get(url + "/api/ana", params={"query": question}) as resp:
        received = bytearray()
        try:
            async for data, _ in resp.content.iter_chunks():
                received += data
        except aiohttp.ClientPayloadError:
            pass
        return bytes(received)


async def _history(session: aiohttp.ClientSession, url: str, chat_id: str) -> list[dict]:
    async with session.get(f"{url}/api/ana/{chat_id}") as resp:
        assert resp.status == 200
        return await resp.json()


def test_final_blocks_keeps_last_version_in_first_appearance_order() -> None:
    assert final_blocks(SCRIPT) == FINAL
    answer = default_answer("q", chat_id="c", user_msg_id=1, assistant_msg_id=2)
    blocks = final_blocks(answer)
    assert len(blocks) == 4
    assert blocks[-1]["contents"] == "The largest store is located in New York, at 150,000 sq ft."


@pytest.mark.parametrize(
    "fault",
    [DropAfter(events=0), DropAfter(events=4), DropAfter(bytes=90), Truncate(after_events=5)],
    ids=repr,
)
async def test_cut_stream_still_completes_the_chat(fault: object) -> None:
    async with FakeTextQL() as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(fault)  # type: ignore[arg-type]
        async with aiohttp.ClientSession(headers=fake.auth_headers()) as session:
            received = await _read(session, fake.url)
            assert not received.endswith(b'data: "done"\n\n')
            messages = await _history(session, fake.url, "c1")
    assert [m["innerVal"]["author"]["tag"] for m in messages] == ["User", "Assistant"]
    assert messages[1]["innerId"] == 2
    assert messages[1]["innerVal"]["body"] == FINAL
    assert fake.chats[0].blocks == {"b1": FINAL[0], "b2": FINAL[1]}


async def test_stalled_stream_completes_the_default_answer_in_history() -> None:
    async with FakeTextQL() as fake:
        fake.inject(Stall(after_events=5))
        async with aiohttp.ClientSession(headers=fake.auth_headers()) as session:
            async with session.get(fake.url + "/api/ana", params={"query": "q"}) as resp:
                for _ in range(5):
                    await resp.content.readuntil(b"\n\n")
                chat = fake.chats[0]
                messages = await _history(session, fake.url, chat.chat_id)
    expected = final_blocks(
        default_answer(
            "q",
            chat_id=chat.chat_id,
            user_msg_id=chat.user_msg_id,
            assistant_msg_id=chat.assistant_msg_id,
        )
    )
    assert messages[-1]["innerVal"]["body"] == expected
    summary = fake.store.summaries_json()
    assert [s["innerId"] for s in summary] == [chat.chat_id]


async def test_answer_completes_after_shows_the_partial_message_until_then() -> None:
    async with FakeTextQL(answer_completes_after=0.3) as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(DropAfter(events=4))
        async with aiohttp.ClientSession(headers=fake.auth_headers()) as session:
            await _read(session, fake.url)
            early = await _history(session, fake.url, "c1")
            assert fake.chats[0].pending
            await asyncio.sleep(0.35)
            late = await _history(session, fake.url, "c1")
    # as the service does while Ana works: the answer as far as it was produced (streamed)
    assert [m["innerVal"]["author"]["tag"] for m in early] == ["User", "Assistant"]
    assert early[1]["innerVal"]["body"] == [{"tag": "TextBlock", "contents": "Hel", "id": "b1"}]
    assert late[1]["innerVal"]["body"] == FINAL
    assert not fake.chats[0].pending


async def test_client_leaving_early_still_completes_the_chat() -> None:
    async with FakeTextQL(event_delay=0.01) as fake:
        fake.add_answer("q", SCRIPT)
        async with aiohttp.ClientSession(headers=fake.auth_headers()) as session:
            async with session.get(fake.url + "/api/ana", params={"query": "q"}) as resp:
                await resp.content.readuntil(b"\n\n")  # chatId only
            await fake.wait_for_streams_closed(timeout=2)
            messages = await _history(session, fake.url, "c1")
    assert messages[1]["innerVal"]["body"] == FINAL


async def test_a_finished_stream_is_not_rewritten() -> None:
    async with FakeTextQL() as fake:
        fake.add_answer("q", SCRIPT)
        async with aiohttp.ClientSession(headers=fake.auth_headers()) as session:
            received = await _read(session, fake.url)
            assert received.endswith(b'data: "done"\n\n')
            messages = await _history(session, fake.url, "c1")
    assert messages[1]["innerVal"]["body"] == FINAL
    assert fake.chats[0].completes_at is None


async def test_disconnect_hangs_up_before_any_response() -> None:
    async with FakeTextQL() as fake:
        # aiohttp re-sends a GET once by itself after a hang-up: two make it fail
        fake.inject(Disconnect(), times=2, path="/api/ana")
        async with aiohttp.ClientSession(headers=fake.auth_headers()) as session:
            with pytest.raises(aiohttp.ServerDisconnectedError):
                async with session.get(fake.url + "/api/ana", params={"query": "q"}) as resp:
                    await resp.read()
            assert fake.chats == []  # nothing was asked of Ana
            received = await _read(session, fake.url)
    assert received.endswith(b'data: "done"\n\n')
    assert len(fake.requests) == 3


async def test_faults_keyed_by_question_hit_only_that_question() -> None:
    async with FakeTextQL() as fake:
        fake.inject(HTTPError(503), question="b")
        fake.inject(Truncate(after_events=1), question=lambda q: q.startswith("c"))
        async with aiohttp.ClientSession(headers=fake.auth_headers()) as session:
            statuses = {}
            for question in ("a", "c1", "b", "summary"):
                if question == "summary":
                    url = fake.url + "/api/ana/chat/summary"
                    async with session.get(url) as resp:
                        statuses[question] = resp.status
                    continue
                async with session.get(fake.url + "/api/ana", params={"query": question}) as resp:
                    statuses[question] = (resp.status, (await resp.read()).count(b"\n\n"))
    assert statuses["a"][0] == 200 and statuses["a"][1] > 10
    assert statuses["c1"] == (200, 1)
    assert statuses["b"][0] == 503
    assert statuses["summary"] == 200


def test_parse_raw_events_replaces_invalid_utf8() -> None:
    raw = b'event: block\ndata: {"tag":"TextBlock","contents":"caf\xe9","id":"u"}\n\n'
    assert parse_raw_events(raw) == [
        ("block", {"tag": "TextBlock", "contents": "caf\ufffd", "id": "u"})
    ]


async def test_store_discard_forgets_a_chat() -> None:
    async with FakeTextQL(answer_completes_after=60) as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(DropAfter(events=2))
        async with aiohttp.ClientSession(headers=fake.auth_headers()) as session:
            await _read(session, fake.url)
            assert fake.chats[0].pending
            fake.store.discard("c1")
            fake.store.discard("never-existed")
            async with session.get(fake.url + "/api/ana/c1") as resp:
                assert resp.status == 404
    assert fake.chats == [] and len(fake.store) == 0
