"""``text_deltas()`` keeps TextBlocks apart; ``final_text()`` is their joined text."""

from __future__ import annotations

from typing import Any

import pytest

from textql_async import AsyncTextQL
from textql_async.testing import FakeTextQL

HEADER: list[tuple[str, Any]] = [("chatId", "c1"), ("userMsgId", 1), ("assistantMsgId", 2)]


def _text(block_id: str, contents: str) -> tuple[str, Any]:
    return ("block", {"tag": "TextBlock", "contents": contents, "id": block_id})


TWO_TEXTS = [
    *HEADER,
    _text("t1", "Let me check"),
    _text("t1", "Let me check which store is largest?"),
    ("block", {"tag": "PythonBlock", "contents": "print(1)", "id": "p1"}),
    _text("t2", "The largest"),
    _text("t2", "The largest store is in New York."),
    ("message", "done"),
]


@pytest.fixture
async def client() -> AsyncTextQL:
    async with FakeTextQL() as fake:
        # one event at a time (else buffered versions of a block coalesce into one delta)
        fake.add_answer("two", TWO_TEXTS, event_delay=0.01)
        fake.add_answer(
            "interleaved",
            [*HEADER, _text("a", "A1"), _text("b", "B1"), _text("a", "A1 A2"), ("message", "done")],
            event_delay=0.01,
        )
        async with fake.client() as c:
            yield c


async def test_a_new_text_block_is_a_new_paragraph(client: AsyncTextQL) -> None:
    async with client.ana.stream("two") as stream:
        pieces = [p async for p in stream.text_deltas()]
    assert pieces == [
        "Let me check",
        " which store is largest?",
        "\n\n",
        "The largest",
        " store is in New York.",
    ]
    joined = "".join(pieces)
    assert "largest?The largest" not in joined  # what users saw before
    assert joined == "Let me check which store is largest?\n\nThe largest store is in New York."


async def test_final_text_equals_the_joined_deltas(client: AsyncTextQL) -> None:
    async with client.ana.stream("two") as stream:
        joined = "".join([p async for p in stream.text_deltas()])
    async with client.ana.stream("two") as stream:
        text = await stream.final_text()
    assert text == joined
    assert stream.done
    async with client.ana.stream("two") as stream:
        assert await stream.final_text(separator="\n---\n") == (
            "Let me check which store is largest?\n---\nThe largest store is in New York."
        )


async def test_custom_and_empty_separator(client: AsyncTextQL) -> None:
    async with client.ana.stream("two") as stream:
        pieces = [p async for p in stream.text_deltas(separator="")]
    assert "".join(pieces) == "Let me check which store is largest?The largest store is in New York."
    assert "" not in pieces
    async with client.ana.stream("two") as stream:
        pieces = [p async for p in stream.text_deltas(separator=" | ")]
    assert pieces.count(" | ") == 1


async def test_switching_back_to_an_earlier_block_is_marked_too(client: AsyncTextQL) -> None:
    async with client.ana.stream("interleaved") as stream:
        pieces = [p async for p in stream.text_deltas()]
    assert pieces == ["A1", "\n\n", "B1", "\n\n", " A2"]
    assert await _final_text(client, "interleaved") == "A1 A2\n\nB1"


async def _final_text(client: AsyncTextQL, question: str) -> str:
    async with client.ana.stream(question) as stream:
        return await stream.final_text()
