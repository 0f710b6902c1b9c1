"""The deterministic scripted answers."""

from __future__ import annotations

from typing import Any

from textql_async.testing import block_id, default_answer, scaled_answer


def _blocks(events: list[tuple[str, object]]) -> list[dict[str, Any]]:
    return [payload for name, payload in events if name == "block"]  # type: ignore[misc]


def test_default_answer_shape() -> None:
    events = default_answer("Largest store?", chat_id="c", user_msg_id=10, assistant_msg_id=11)
    assert events[:3] == [("chatId", "c"), ("userMsgId", 10), ("assistantMsgId", 11)]
    assert events[-1] == ("message", "done")
    blocks = _blocks(events)
    order: list[str] = []
    for block in blocks:
        if block["id"] not in order:
            order.append(block["id"])
    tags = [next(b["tag"] for b in blocks if b["id"] == i) for i in order]
    assert tags == ["TextBlock", "PythonBlock", "OntologyBlock", "TextBlock"]
    # every block is re-sent with the same id as it grows, and ids never interleave
    for block_id_ in order:
        versions = [b for b in blocks if b["id"] == block_id_]
        assert len(versions) >= 2
    assert [b["id"] for b in blocks] == sorted((b["id"] for b in blocks), key=order.index)


def test_default_answer_block_contents() -> None:
    blocks = _blocks(default_answer("Q?", chat_id="c", user_msg_id=1, assistant_msg_id=2))
    texts = [b["contents"] for b in blocks if b["tag"] == "TextBlock"]
    assert texts[0] == "Let" and texts[1] == "Let me"  # grows word by word
    python = [b for b in blocks if b["tag"] == "PythonBlock"]
    assert "results" not in python[0]
    assert python[-1]["results"][0]["tag"] == "TextResult"
    ontology = [b for b in blocks if b["tag"] == "OntologyBlock"]
    assert ontology[0]["contents"]["result"]["complete"] is False
    final = ontology[-1]
    assert final["tool_call_id"].startswith("call_")
    result = final["contents"]["result"]
    assert result["complete"] is True and result["connectorId"] == 9
    assert result["sqlQuery"].startswith("SELECT") and result["oai_output"]
    assert final["contents"]["query"] == "Q?"


def test_default_answer_is_deterministic() -> None:
    a = default_answer("same", chat_id="c", user_msg_id=1, assistant_msg_id=2)
    b = default_answer("same", chat_id="c", user_msg_id=1, assistant_msg_id=2)
    c = default_answer("other", chat_id="c", user_msg_id=1, assistant_msg_id=2)
    assert a == b
    assert _blocks(a)[0]["id"] != _blocks(c)[0]["id"]
    assert block_id("x", 1) == block_id("x", 1) != block_id("x", 2)
    assert len(block_id("x", 1)) == 36 and block_id("x", 1)[14] == "4"


def test_scaled_answer() -> None:
    events = scaled_answer(3, updates_per_block=4, words_per_update=2)
    blocks = _blocks(events)
    assert len(blocks) == 12
    assert len({b["id"] for b in blocks}) == 3
    assert blocks[3]["contents"].count(" ") == 7  # 8 words in the final version
    assert events[-1] == ("message", "done")
