"""Deterministic scripted Ana answers for the fake server and for benchmarks."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

__all__ = ["block_id", "default_answer", "scaled_answer"]


def block_id(seed: str, n: int) -> str:
    """Return a deterministic uuid4-shaped block id derived from ``seed`` and ``n``."""
    digest = hashlib.sha256(f"{seed}\x00{n}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def _header(chat_id: str, user_msg_id: int, assistant_msg_id: int) -> list[tuple[str, object]]:
    return [("chatId", chat_id), ("userMsgId", user_msg_id), ("assistantMsgId", assistant_msg_id)]


def _growing_text(block: str, text: str, step: int = 1) -> list[tuple[str, object]]:
    """Re-send one TextBlock with ``step`` more words each time until ``text`` is complete."""
    words = text.split(" ")
    cuts = [*range(step, len(words), step), len(words)]
    return [
        ("block", {"tag": "TextBlock", "contents": " ".join(words[:cut]), "id": block})
        for cut in cuts
    ]


def _python_block(block: str) -> list[tuple[str, object]]:
    code_lines = [
        "import pandas as pd",
        "",
        "df = pd.read_csv('stores.csv')",
        "largest = df.sort_values('sq_footage', ascending=False).head(3)",
        "print(largest)",
    ]
    events: list[tuple[str, object]] = []
    for cut in (1, 3, 5):
        code = "\n".join(code_lines[:cut])
        events.append(("block", {"tag": "PythonBlock", "contents": code, "id": block}))
    output = (
        "  store_id        city  sq_footage\n"
        "0   ST1234    New York      150000\n"
        "1   ST5678  Los Angeles      145000\n"
        "2   ST3456     Chicago      135000"
    )
    final: dict[str, Any] = {
        "tag": "PythonBlock",
        "contents": "\n".join(code_lines),
        "results": [{"tag": "TextResult", "contents": output}],
        "id": block,
    }
    events.append(("block", final))
    return events


def _ontology_block(block: str, question: str, tool_call: str) -> list[tuple[str, object]]:
    sql = (
        'SELECT "S_STORE_ID", "S_STORE_NAME", "S_FLOOR_SPACE" '
        'FROM "SNOWFLAKE_SAMPLE_DATA"."TPCDS_SF100TCL"."STORE" '
        'ORDER BY "S_FLOOR_SPACE" DESC LIMIT 3'
    )
    started: dict[str, Any] = {
        "complete": False,
        "connectorId": 9,
        "queryClassification": {"classification": "object"},
        "userPrompt": question,
    }
    finished: dict[str, Any] = {
        **started,
        "complete": True,
        "groupingsStarted": ["size descending"],
        "groupingsFound": [{"grouping": "S_FLOOR_SPACE"}],
        "ordersFound": [
            {"order": {"direction": "desc", "measure": "S_FLOOR_SPACE"}, "unparsedText": "size"}
        ],
        "directionFound": "desc",
        "sqlQuery": sql,
        "sqlResult": {
            "result": {
                "colNames": ["S_STORE_ID", "S_STORE_NAME", "S_FLOOR_SPACE"],
                "colTypes": ["TEXT", "TEXT", "NUMBER"],
                "resultVals": [
                    ["ST1234", "New York", 150000],
                    ["ST5678", "Los Angeles", 145000],
                    ["ST3456", "Chicago", 135000],
                ],
            }
        },
        "oai_output": "Data from object Store loaded into DataFrame df1 (3 rows).",
    }

    def make(result: dict[str, Any]) -> tuple[str, object]:
        contents = {"query": question, "result": result}
        return (
            "block",
            {"tag": "OntologyBlock", "id": block, "contents": contents, "tool_call_id": tool_call},
        )

    return [make(started), make(finished)]


def default_answer(
    question: str, *, chat_id: str, user_msg_id: int, assistant_msg_id: int
) -> list[tuple[str, object]]:
    """Return a realistic, deterministic scripted answer to ``question``.

    The script is: ``chatId``, ``userMsgId``, ``assistantMsgId``, a TextBlock growing word by
    word, a PythonBlock growing then gaining ``results``, an OntologyBlock (incomplete then
    complete), a final TextBlock answer growing word by word, then ``("message", "done")``.
    """
    ids = [block_id(question, n) for n in range(4)]
    tool_call = "call_" + block_id(question, 99)
    events = _header(chat_id, user_msg_id, assistant_msg_id)
    events += _growing_text(ids[0], f"Let me look into that: {question}")
    events += _python_block(ids[1])
    events += _ontology_block(ids[2], question, tool_call)
    events += _growing_text(ids[3], "The largest store is located in New York, at 150,000 sq ft.")
    events.append(("message", "done"))
    return events


def scaled_answer(
    n_blocks: int,
    *,
    updates_per_block: int = 5,
    words_per_update: int = 8,
    chat_id: str = "bench-chat",
    user_msg_id: int = 1,
    assistant_msg_id: int = 2,
    seed: str = "bench",
) -> list[tuple[str, object]]:
    """Return a synthetic answer of ``n_blocks`` TextBlocks, each re-sent as it grows."""
    events = _header(chat_id, user_msg_id, assistant_msg_id)
    for n in range(n_blocks):
        words = [f"w{n}_{i}" for i in range(updates_per_block * words_per_update)]
        text = " ".join(words)
        events += _growing_text(block_id(seed, n), text, step=words_per_update)
    events.append(("message", "done"))
    return events
