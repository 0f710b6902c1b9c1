"""The fake's chat history after a cut behaves like the service's: partial while Ana works."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from textql_async.testing import HISTORY_MODES, DropAfter, FakeTextQL, ScriptEvent

SCRIPT: list[ScriptEvent] = [
    ("chatId", "h1"),
    ("userMsgId", 1),
    ("assistantMsgId", 2),
    ("block", {"tag": "TextBlock", "contents": "Let me", "id": "t1"}),
    ("block", {"tag": "TextBlock", "contents": "Let me compute that.", "id": "t1"}),
    ("block", {"tag": "PythonBlock", "contents": "sales.groupby('region')", "id": "p1"}),
    (
        "block",
        {
            "tag": "PythonBlock",
            "contents": "sales.groupby('region')",
            "results": [{"tag": "TextResult", "contents": "East 10"}],
            "id": "p1",
        },
    ),
    ("block", {"tag": "TextBlock", "contents": "East leads with 10.", "id": "t2"}),
    ("message", "done"),
]
TEXT = {"tag": "TextBlock", "contents": "Let me compute that.", "id": "t1"}
RUNNING = {"tag": "PythonBlock", "contents": "sales.groupby('region')", "id": "p1"}
FINAL = [TEXT, SCRIPT[6][1], SCRIPT[7][1]]  # type: ignore[index]


async def _cut(session: aiohttp.ClientSession, url: str) -> None:
    async with session.get(url + "/api/ana", params={"query": "q"}) as resp:
        try:
            await resp.read()
        except aiohttp.ClientPayloadError:
            pass


async def _history(session: aiohttp.ClientSession, url: str) -> tuple[int, list[object] | None]:
    """(status, assistant body or None when there is no assistant message)."""
    async with session.get(url + "/api/ana/h1") as resp:
        if resp.status != 200:
            return resp.status, None
        messages = await resp.json()
    bodies = [
        m["innerVal"]["body"] for m in messages if m["innerVal"]["author"]["tag"] == "Assistant"
    ]
    return 200, bodies[0] if bodies else None


async def test_live_history_is_partial_while_ana_works_then_complete() -> None:
    async with FakeTextQL(answer_completes_after=0.3) as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(DropAfter(events=6))  # after the running PythonBlock
        async with aiohttp.ClientSession(headers=fake.auth_headers()) as session:
            await _cut(session, fake.url)
            first = await _history(session, fake.url)
            second = await _history(session, fake.url)
            await asyncio.sleep(0.35)
            last = await _history(session, fake.url)
    assert first == second == (200, [TEXT, RUNNING])
    assert last == (200, FINAL)


async def test_lagging_history_shows_nothing_then_fewer_blocks_than_streamed() -> None:
    async with FakeTextQL(answer_completes_after=0.6, history="lagging") as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(DropAfter(events=6))
        async with aiohttp.ClientSession(headers=fake.auth_headers()) as session:
            await _cut(session, fake.url)
            early = await _history(session, fake.url)
            await asyncio.sleep(0.35)
            middle = await _history(session, fake.url)
            await asyncio.sleep(0.35)
            late = await _history(session, fake.url)
    assert early == (200, None)
    assert middle == (200, [TEXT])  # the stream had two blocks
    assert late == (200, FINAL)


async def test_partial_history_never_completes() -> None:
    async with FakeTextQL(history="partial") as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(DropAfter(events=6))
        async with aiohttp.ClientSession(headers=fake.auth_headers()) as session:
            await _cut(session, fake.url)
            await asyncio.sleep(0.05)
            reads = [await _history(session, fake.url) for _ in range(3)]
        assert fake.chats[0].pending
    assert reads == [(200, [TEXT, RUNNING])] * 3


async def test_flaky_history_fails_every_other_read() -> None:
    async with FakeTextQL(history="flaky") as fake:
        fake.add_answer("q", SCRIPT)
        fake.inject(DropAfter(events=6))
        async with aiohttp.ClientSession(headers=fake.auth_headers()) as session:
            await _cut(session, fake.url)
            reads = [await _history(session, fake.url) for _ in range(4)]
    assert reads == [(503, None), (200, FINAL), (503, None), (200, FINAL)]


async def test_a_finished_stream_is_not_affected_by_the_history_mode() -> None:
    async with FakeTextQL(history="partial", answer_completes_after=60) as fake:
        fake.add_answer("q", SCRIPT)
        async with aiohttp.ClientSession(headers=fake.auth_headers()) as session:
            await _cut(session, fake.url)  # not cut: it streams to done
            assert await _history(session, fake.url) == (200, FINAL)


def test_an_unknown_history_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="history must be one of"):
        FakeTextQL(history="sometimes")
    assert HISTORY_MODES == ("live", "lagging", "partial", "flaky")


async def test_add_answer_sets_the_history_per_question() -> None:
    async with FakeTextQL(answer_completes_after=60) as fake:
        fake.add_answer(
            "q",
            SCRIPT,
            history=lambda q: "flaky",
            answer_completes_after=lambda q: 0.0,
        )
        fake.inject(DropAfter(events=6))
        async with aiohttp.ClientSession(headers=fake.auth_headers()) as session:
            await _cut(session, fake.url)
            reads = [await _history(session, fake.url) for _ in range(2)]
        with pytest.raises(ValueError, match="history must be one of"):
            fake.add_answer("x", SCRIPT, history="never")
    assert reads == [(503, None), (200, FINAL)]
