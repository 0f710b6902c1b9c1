"""Deterministic benchmark workloads: Ana event streams generated from a seed.

1. :func:`realistic_answer` - one long answer shaped like the fake server's default answer,
   scaled up: text blocks re-sent as they grow word by word, Python blocks growing line by
   line and then gaining results, one Ontology block (incomplete, then complete).
2. :func:`many_small_answers` - many short answers of five blocks each.
3. :func:`fold_scaling` - ``n_ids`` distinct block ids, each updated ``updates`` times,
   round-robin (every id's first version, then every id's second version, ...).

Everything is rendered with :func:`textql_async.testing.render_script`, the same frames the
fake server writes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from textql_async.testing import block_id, render_script

__all__ = [
    "Workload",
    "count_events",
    "fold_scaling",
    "many_small_answers",
    "realistic_answer",
    "realistic_events",
    "short_answer",
    "small_answer_events",
]

Event = tuple[str, object]

_WORDS = (
    "the store with the largest floor space is in New York and it sells about twice as "
    "much per square foot as the median store across every region we looked at this "
    "quarter revenue grew while returns fell slightly which suggests the new layout is "
    "working let me check the sales table first then join it with the store dimension "
    "to compare footage against weekly revenue per region and category average basket "
    "size was flat but the number of visits increased notably during holiday weeks"
).split()
_DECOR = ("**", "`", "\u201c", "\u2014", "caf\u00e9", "\u00b2", "\u20ac", "1,234", "42%", "(Q3)")


def _sentence_words(rng: random.Random, n: int) -> list[str]:
    """``n`` words of plausible analyst prose: punctuation, markdown, non-ASCII, line breaks."""
    words: list[str] = []
    at = rng.randrange(len(_WORDS))
    for i in range(n):
        at = rng.randrange(len(_WORDS)) if rng.random() < 0.1 else (at + 1) % len(_WORDS)
        word = _WORDS[at]
        roll = rng.random()
        if roll < 0.04:
            words.append(rng.choice(_DECOR))
        elif roll < 0.08:
            word += ","
        elif roll < 0.11:
            word += "."
        elif roll < 0.12 and i:
            word += ".\n\n"  # a paragraph break: JSON-escaped on the wire
        elif roll < 0.125:
            word = f'"{word}"'
        words.append(word)
    return words


def _join(words: list[str]) -> str:
    return " ".join(words).replace("\n\n ", "\n\n")


def _text_block(rng: random.Random, bid: str, n_words: int) -> list[Event]:
    """A TextBlock re-sent once per word as it grows."""
    words = _sentence_words(rng, n_words)
    return [
        ("block", {"tag": "TextBlock", "contents": _join(words[:cut]), "id": bid})
        for cut in range(1, n_words + 1)
    ]


_CODE = [
    "import pandas as pd",
    "import numpy as np",
    "",
    "sales = pd.read_sql('SELECT * FROM store_sales', conn)",
    "stores = pd.read_sql('SELECT * FROM store', conn)",
    "df = sales.merge(stores, left_on='ss_store_sk', right_on='s_store_sk')",
    "df['revenue'] = df['ss_quantity'] * df['ss_sales_price']",
    "weekly = df.groupby(['s_store_id', 'week'])['revenue'].sum().reset_index()",
    "summary = weekly.groupby('s_store_id')['revenue'].agg(['mean', 'std', 'max'])",
    "summary['per_sqft'] = summary['mean'] / stores.set_index('s_store_id')['s_floor_space']",
    "summary = summary.sort_values('per_sqft', ascending=False)",
    "print(summary.head(10).to_string())",
    'print(f"stores analysed: {len(summary)}")',
]


def _python_block(
    rng: random.Random, bid: str, lines_range: tuple[int, int] = (12, 30), max_rows: int = 40
) -> list[Event]:
    """A PythonBlock growing half a line at a time, then gaining a table (and maybe an image)."""
    lines = [rng.choice(_CODE) for _ in range(rng.randint(*lines_range))]
    code = "\n".join(lines)
    cuts = sorted({*range(24, len(code), 48), len(code)})
    events: list[Event] = [
        ("block", {"tag": "PythonBlock", "contents": code[:cut], "id": bid}) for cut in cuts
    ]
    rows = [
        f"{i:>3}  ST{rng.randint(1000, 9999)}  {rng.choice(_WORDS):>12}  "
        f"{rng.randint(50_000, 200_000):>8}  {rng.random() * 100:8.3f}"
        for i in range(rng.randint(min(5, max_rows), max_rows))
    ]
    results: list[dict[str, Any]] = [{"tag": "TextResult", "contents": "\n".join(rows)}]
    events.append(
        ("block", {"tag": "PythonBlock", "contents": code, "results": results, "id": bid})
    )
    if rng.random() < 0.3:
        image = {"tag": "ImageUrlResult", "contents": f"https://example.invalid/plot/{bid}.png"}
        events.append(
            (
                "block",
                {"tag": "PythonBlock", "contents": code, "results": [*results, image], "id": bid},
            )
        )
    return events


def _ontology_block(rng: random.Random, bid: str, question: str, n_rows: int = 25) -> list[Event]:
    started: dict[str, Any] = {
        "complete": False,
        "connectorId": 9,
        "queryClassification": {"classification": "object"},
        "userPrompt": question,
    }
    rows = [
        [f"ST{rng.randint(1000, 9999)}", rng.choice(_WORDS), rng.randint(50_000, 200_000)]
        for _ in range(n_rows)
    ]
    finished: dict[str, Any] = {
        **started,
        "complete": True,
        "groupingsFound": [{"grouping": "S_FLOOR_SPACE"}],
        "ordersFound": [{"order": {"direction": "desc", "measure": "S_FLOOR_SPACE"}}],
        "directionFound": "desc",
        "sqlQuery": 'SELECT "S_STORE_ID", "S_CITY", "S_FLOOR_SPACE" FROM "STORE" ORDER BY 3 DESC',
        "sqlResult": {
            "result": {
                "colNames": ["S_STORE_ID", "S_CITY", "S_FLOOR_SPACE"],
                "colTypes": ["TEXT", "TEXT", "NUMBER"],
                "resultVals": rows,
            }
        },
        "oai_output": f"Data from object Store loaded into DataFrame df1 ({n_rows} rows).",
    }
    tool_call = "call_" + block_id(bid, 1)

    def make(result: dict[str, Any]) -> Event:
        contents = {"query": question, "result": result}
        return (
            "block",
            {"tag": "OntologyBlock", "id": bid, "contents": contents, "tool_call_id": tool_call},
        )

    return [make(started), make(finished)]


def _header(chat_id: str, user_msg_id: int, assistant_msg_id: int) -> list[Event]:
    return [("chatId", chat_id), ("userMsgId", user_msg_id), ("assistantMsgId", assistant_msg_id)]


def realistic_events(
    n_blocks: int = 200,
    *,
    seed: int = 1,
    min_words: int = 180,
    max_words: int = 450,
    python_every: int = 5,
) -> list[Event]:
    """Workload 1's events: ``n_blocks`` blocks (text, Python every ``python_every``th, one
    Ontology block), the last one the final answer, then ``done``."""
    rng = random.Random(seed)
    question = "Which stores have the highest revenue per square foot, and why?"
    events = _header(f"bench-chat-{seed}", 1000 + seed, 1001 + seed)
    ontology_at = min(3, n_blocks - 1) if n_blocks > 1 else -1
    for n in range(n_blocks):
        bid = block_id(f"bench-{seed}", n)
        if n == ontology_at:
            events += _ontology_block(rng, bid, question)
        elif python_every and n % python_every == python_every - 1 and n != n_blocks - 1:
            events += _python_block(rng, bid)
        else:
            events += _text_block(rng, bid, rng.randint(min_words, max_words))
    events.append(("message", "done"))
    return events


def small_answer_events(index: int, *, seed: int = 2) -> list[Event]:
    """One short answer of five blocks: text, Python, Ontology, text, the final answer."""
    rng = random.Random(seed * 1_000_003 + index)
    ids = [block_id(f"small-{seed}-{index}", n) for n in range(5)]
    events = _header(f"small-chat-{index}", 2 * index + 1, 2 * index + 2)
    events += _text_block(rng, ids[0], rng.randint(4, 10))
    python = _python_block(rng, ids[1], (2, 6), max_rows=5)
    events += [python[0], python[len(python) // 2], python[-1]]
    events += _ontology_block(rng, ids[2], "small question", n_rows=3)
    events += _text_block(rng, ids[3], rng.randint(3, 8))
    events += _text_block(rng, ids[4], rng.randint(6, 14))
    events.append(("message", "done"))
    return events


def short_answer_events(*, seed: int = 4) -> list[Event]:
    """The short answer a backend relays most often (2.7 KB, 23 events): a sentence of
    thinking growing word by word, a Python block gaining a result, a short final answer."""
    rng = random.Random(seed)
    ids = [block_id(f"short-{seed}", n) for n in range(3)]
    events = _header(f"short-chat-{seed}", 1, 2)
    words = _sentence_words(rng, 9)
    for n in range(2, 10):
        events.append(("block", {"tag": "TextBlock", "id": ids[0], "contents": _join(words[:n])}))
    code = "sales.groupby('store').revenue.sum()"
    python: dict[str, Any] = {"tag": "PythonBlock", "id": ids[1], "contents": code}
    events += [("block", {**python, "contents": code[:14]}), ("block", python)]
    table = "store  revenue\nNew York  1,234,567\nBoston  987,654"
    events.append(("block", {**python, "results": [{"tag": "TextResult", "contents": table}]}))
    answer = _sentence_words(rng, 15)
    for n in range(1, 16, 2):
        events.append(("block", {"tag": "TextBlock", "id": ids[2], "contents": _join(answer[:n])}))
    events.append(("message", "done"))
    return events


@dataclass(frozen=True)
class Workload:
    """One or more complete Ana streams (bytes) and facts about them."""

    name: str
    streams: tuple[bytes, ...]
    events: int
    block_events: int
    blocks: int

    @property
    def size(self) -> int:
        return sum(len(s) for s in self.streams)

    def describe(self) -> str:
        mb = self.size / 1e6
        if len(self.streams) == 1:
            return f"{mb:.1f} MB, {self.events:,} events, {self.blocks:,} blocks"
        return (
            f"{len(self.streams):,} answers, {mb:.1f} MB, {self.events:,} events, "
            f"{self.blocks:,} blocks"
        )


def _workload(name: str, answers: Iterator[list[Event]]) -> Workload:
    streams: list[bytes] = []
    events = block_events = blocks = 0
    for answer in answers:
        streams.append(render_script(answer))
        events += len(answer)
        ids = [e[1]["id"] for e in answer if e[0] == "block" and isinstance(e[1], dict)]
        block_events += len(ids)
        blocks += len(set(ids))
    return Workload(name, tuple(streams), events, block_events, blocks)


def count_events(streams: tuple[bytes, ...]) -> tuple[int, int, int]:
    """(events, block events, distinct blocks) of rendered streams."""
    events = block_events = blocks = 0
    for stream in streams:
        frames = [f for f in stream.split(b"\n\n") if f]
        events += len(frames)
        ids = [
            f.split(b'"id":"', 1)[1].split(b'"', 1)[0]
            for f in frames
            if f.startswith(b"event: block\n")
        ]
        block_events += len(ids)
        blocks += len(set(ids))
    return events, block_events, blocks


def realistic_answer(n_blocks: int = 200, *, seed: int = 1) -> Workload:
    """Workload 1: one realistic long answer (about 50 MB at 200 blocks)."""
    return _workload("realistic answer", iter([realistic_events(n_blocks, seed=seed)]))


def short_answer(*, seed: int = 4) -> Workload:
    """The short answer (one stream, 23 events, about 2.7 KB)."""
    return _workload("short answer", iter([short_answer_events(seed=seed)]))


def many_small_answers(n_answers: int = 10_000, *, seed: int = 2) -> Workload:
    """Workload 2: ``n_answers`` short answers of five blocks, each its own stream."""
    return _workload(
        "many small answers", (small_answer_events(i, seed=seed) for i in range(n_answers))
    )


def fold_scaling(n_ids: int, updates: int = 20, *, seed: int = 3) -> Workload:
    """Workload 3: ``n_ids`` block ids x ``updates`` versions each, updated round-robin."""
    ids = [block_id(f"fold-{seed}", n) for n in range(n_ids)]
    events = _header("fold-chat", 1, 2)
    for version in range(updates):
        for n, bid in enumerate(ids):
            text = f"block {n} version {version}: " + " ".join(_WORDS[: 4 + version])
            events.append(("block", {"tag": "TextBlock", "contents": text, "id": bid}))
    events.append(("message", "done"))
    return _workload(f"fold scaling {n_ids:,} ids", iter([events]))
