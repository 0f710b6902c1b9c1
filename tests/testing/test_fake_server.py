"""FakeTextQL routes: auth, validation, scripted streams, chat history, recorded requests."""

from __future__ import annotations

import json
import re
from typing import Any

import aiohttp
import pytest

from textql_async.testing import (
    DOCS_EXAMPLE_STREAM,
    FakeTextQL,
    ana_event,
    parse_raw_events,
)


async def _get(fake: FakeTextQL, path: str, **params: str) -> tuple[int, dict[str, str], bytes]:
    async with aiohttp.ClientSession(headers=fake.auth_headers()) as session:
        async with session.get(fake.url + path, params=params) as resp:
            return resp.status, dict(resp.headers), await resp.read()


async def _ask(fake: FakeTextQL, question: str, **params: str) -> bytes:
    status, headers, body = await _get(fake, "/api/ana", query=question, **params)
    assert status == 200, body
    assert headers["Content-Type"].startswith("text/event-stream")
    return body


@pytest.mark.parametrize("scheme", ["basic", "bearer"])
async def test_auth_accepted(fake_textql: FakeTextQL, scheme: str) -> None:
    async with aiohttp.ClientSession(headers=fake_textql.auth_headers(scheme)) as session:
        async with session.get(fake_textql.url + "/api/ana/chat/summary") as resp:
            assert resp.status == 200
            assert await resp.json() == []


@pytest.mark.parametrize(
    "header",
    [None, "Bearer wrong", "Basic d3Jvbmc6d3Jvbmc=", "Basic !!notbase64", "Token test-key"],
)
async def test_auth_rejected(fake_textql: FakeTextQL, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.get(fake_textql.url + "/api/ana", params={"query": "q"}) as resp:
            assert resp.status == 401
            body = await resp.json()
    assert body["error"]["code"] == "unauthenticated"
    assert body["error"]["message"]
    assert fake_textql.chats == []


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"query": ""},
        {"query": "q", "useOntology": "true"},
        {"query": "q", "ontologyConnectorId": "x"},
    ],
)
async def test_ana_validation(fake_textql: FakeTextQL, params: dict[str, str]) -> None:
    status, headers, body = await _get(fake_textql, "/api/ana", **params)
    assert status == 400
    assert headers["Content-Type"].startswith("application/json")
    assert b'"invalid_argument"' in body


async def test_ontology_params_accepted(fake_textql: FakeTextQL) -> None:
    body = await _ask(
        fake_textql, "q", useOntology="true", ontologyConnectorId="9", clifford="false"
    )
    assert body.endswith(ana_event("message", "done"))
    assert fake_textql.requests[-1].query["ontologyConnectorId"] == "9"


async def test_docs_example_served_byte_exact(fake_textql: FakeTextQL) -> None:
    fake_textql.add_answer("Largest store?", [DOCS_EXAMPLE_STREAM])
    assert await _ask(fake_textql, "Largest store?") == DOCS_EXAMPLE_STREAM


async def test_default_answer_over_the_wire(fake_textql: FakeTextQL) -> None:
    events = parse_raw_events(await _ask(fake_textql, "Where is the largest store?"))
    names = [name for name, _ in events]
    assert names[:3] == ["chatId", "userMsgId", "assistantMsgId"]
    assert events[-1] == ("message", "done")
    chat = fake_textql.chats[0]
    assert events[0][1] == chat.chat_id
    assert events[1][1] == chat.user_msg_id and events[2][1] == chat.assistant_msg_id
    block_ids = [p["id"] for n, p in events if n == "block"]  # type: ignore[index]
    assert len(block_ids) > len(set(block_ids)) == 4  # blocks are re-sent with the same id


async def test_chunking_splits_writes() -> None:
    async with FakeTextQL(chunk_size=7) as fake:
        fake.add_answer("q", [("message", "done")])
        async with aiohttp.ClientSession(headers=fake.auth_headers()) as session:
            async with session.get(fake.url + "/api/ana", params={"query": "q"}) as resp:
                chunks = [data async for data, _ in resp.content.iter_chunks()]
    expected = ana_event("message", "done")
    assert b"".join(chunks) == expected
    assert len(chunks) == -(-len(expected) // 7)  # one HTTP chunk per 7-byte write
    assert all(len(chunk) <= 7 for chunk in chunks)


async def test_add_answer_matching(fake_textql: FakeTextQL) -> None:
    fake_textql.add_answer("exact", [("message", "exact")])
    fake_textql.add_answer(re.compile(r"^sales"), [("message", "regex")])
    fake_textql.add_answer(lambda q: q.endswith("!"), lambda q: [("message", q.upper())])
    fake_textql.add_answer("dup", [("message", "first")])
    fake_textql.add_answer("dup", [("message", "second")])  # later additions win
    assert await _ask(fake_textql, "exact") == ana_event("message", "exact")
    assert await _ask(fake_textql, "sales by region") == ana_event("message", "regex")
    assert await _ask(fake_textql, "sales now!") == ana_event("message", "SALES NOW!")
    assert await _ask(fake_textql, "dup") == ana_event("message", "second")
    default = parse_raw_events(await _ask(fake_textql, "exact?"))
    assert default[-1] == ("message", "done") and len(default) > 10


async def test_per_answer_chunk_size(fake_textql: FakeTextQL) -> None:
    fake_textql.add_answer("q", [("message", "done")], chunk_size=1, event_delay=0.001)
    async with aiohttp.ClientSession(headers=fake_textql.auth_headers()) as session:
        async with session.get(fake_textql.url + "/api/ana", params={"query": "q"}) as resp:
            chunks = [data async for data, _ in resp.content.iter_chunks()]
    assert len(chunks) == len(ana_event("message", "done"))


async def test_summary_and_messages_after_chat(fake_textql: FakeTextQL) -> None:
    events = parse_raw_events(await _ask(fake_textql, "Where is the largest store?"))
    chat_id = events[0][1]
    status, _, body = await _get(fake_textql, "/api/ana/chat/summary")
    assert status == 200
    summaries: list[dict[str, Any]] = json.loads(body)
    assert [s["innerId"] for s in summaries] == [chat_id]
    inner = summaries[0]["innerVal"]
    assert inner["id"] == chat_id and inner["engine"] == "{}"
    assert inner["summary"] == "Where is the largest store?"
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", inner["lastUserMessage"]["timestamp"]
    )

    status, _, body = await _get(fake_textql, f"/api/ana/{chat_id}")
    assert status == 200
    user, assistant = json.loads(body)
    assert user["innerId"] == events[1][1] and assistant["innerId"] == events[2][1]
    assert user["innerVal"]["author"] == {
        "tag": "User",
        "name": "Fake User",
        "contents": fake_textql.member_id,
    }
    assert user["innerVal"]["body"][0]["contents"] == "Where is the largest store?"
    assert assistant["innerVal"]["author"] == {"tag": "Assistant"}
    assert [m["innerVal"]["messageIdx"] for m in (user, assistant)] == [0, 1]
    # the body holds the final version of each block, in first-appearance order
    finals: dict[str, Any] = {}
    for name, payload in events:
        if name == "block":
            finals[payload["id"]] = payload  # type: ignore[index]
    assert assistant["innerVal"]["body"] == list(finals.values())


async def test_history_of_raw_scripted_chat(fake_textql: FakeTextQL) -> None:
    fake_textql.add_answer("docs", [DOCS_EXAMPLE_STREAM[:100], DOCS_EXAMPLE_STREAM[100:]])
    await _ask(fake_textql, "docs")
    await _ask(fake_textql, "second")
    status, _, body = await _get(fake_textql, "/api/ana/nahar-alpha-cd66081b89c5cd9b0c")
    assert status == 200
    user, assistant = json.loads(body)
    assert (user["innerId"], assistant["innerId"]) == (33893, 33894)
    assert [b["id"] for b in assistant["innerVal"]["body"]] == ["abc123", "def456"]
    assert assistant["innerVal"]["body"][0]["contents"].endswith("New York.")
    _, _, summary = await _get(fake_textql, "/api/ana/chat/summary")
    ids = [s["innerId"] for s in json.loads(summary)]
    assert len(ids) == 2 and ids[1] == "nahar-alpha-cd66081b89c5cd9b0c"  # newest first


async def test_unknown_chat_is_404(fake_textql: FakeTextQL) -> None:
    status, headers, body = await _get(fake_textql, "/api/ana/no-such-chat")
    assert status == 404
    assert headers["Content-Type"].startswith("application/json")
    assert b'"not_found"' in body
    status, _, _ = await _get(fake_textql, "/api/nope")
    assert status == 404


async def test_recorded_requests(fake_textql: FakeTextQL) -> None:
    await _ask(fake_textql, "hello world", dataset="sales", clifford="true")
    async with aiohttp.ClientSession() as session:
        async with session.get(fake_textql.url + "/api/ana/chat/summary") as resp:
            assert resp.status == 401
            assert resp.headers["X-Request-Id"].startswith("req_fake_")
    first, second = fake_textql.requests
    assert (first.method, first.path) == ("GET", "/api/ana")
    assert first.query == {"query": "hello world", "dataset": "sales", "clifford": "true"}
    assert first.headers["authorization"] == fake_textql.auth_headers()["Authorization"]
    assert second.path == "/api/ana/chat/summary" and "Authorization" not in second.headers


async def test_url_requires_running_server() -> None:
    fake = FakeTextQL()
    with pytest.raises(RuntimeError):
        _ = fake.url
    async with fake:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", fake.url)
        assert fake.port != 0
