"""Answer a CSV of questions with Ana, many at once: questions.csv in, answers.csv out.

    python examples/batch_csv.py questions.csv answers.csv --column question --concurrency 8

Every input column is kept and ``answer``, ``chat_id`` and ``error`` are added, rows in
input order. A failed (or empty) question gets its error in its row and never stops the
others; the exit status is 1 if any failed. Runs against an embedded FakeTextQL when
TEXTQL_API_KEY is not set.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import sys

from textql_async import AsyncTextQL
from textql_async.testing import FakeTextQL


async def answer_csv(
    client: AsyncTextQL, source: str, target: str, column: str, concurrency: int
) -> int:
    """Write ``target``; returns how many questions failed."""
    rows, fields = read_rows(source)
    if column not in fields:
        raise SystemExit(f"{source} has no column {column!r} (columns: {', '.join(fields)})")
    asked = [i for i, row in enumerate(rows) if (row[column] or "").strip()]
    for row in rows:
        row.update(
            answer="", chat_id="", error="" if (row[column] or "").strip() else "empty question"
        )
    failed = len(rows) - len(asked)
    batch = client.ana.batch([rows[i][column] for i in asked], concurrency=concurrency)
    async for item in batch:  # completion order: the slowest question holds nothing back
        row = rows[asked[item.index]]
        if item.result is not None:
            row.update(answer=item.result.answer or "", chat_id=item.result.chat_id or "")
        else:
            failed += 1
            row.update(error=f"{type(item.error).__name__}: {item.error}")
        status = "ok" if item.ok else "FAILED"
        print(f"[{asked[item.index] + 1}/{len(rows)}] {status}: {row[column]}", file=sys.stderr)
    write_rows(target, rows, [*fields, "answer", "chat_id", "error"])  # in input order
    return failed


def read_rows(path: str) -> tuple[list[dict[str, str]], list[str]]:
    with open(path, newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        return list(reader), list(reader.fieldnames or [])


def write_rows(path: str, rows: list[dict[str, str]], fields: list[str]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


async def main(source: str, target: str, column: str, concurrency: int) -> int:
    if os.environ.get("TEXTQL_API_KEY"):
        async with AsyncTextQL() as client:
            return await answer_csv(client, source, target, column, concurrency)
    async with FakeTextQL() as fake, fake.client() as client:
        return await answer_csv(client, source, target, column, concurrency)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Answer a CSV of questions with Ana.")
    parser.add_argument("source", help="CSV with a header row")
    parser.add_argument("target", help="CSV to write: the input columns + answer, chat_id, error")
    parser.add_argument("--column", default="question", help="the questions' column")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    failures = asyncio.run(main(args.source, args.target, args.column, args.concurrency))
    sys.exit(1 if failures else 0)
