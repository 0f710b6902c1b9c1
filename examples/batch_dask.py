"""Answer a file of questions on a Dask cluster, each asked exactly once, even across crashes.

    python examples/batch_dask.py questions.txt answers.jsonl --workers 2 --concurrency 20
    python examples/batch_dask.py questions.txt answers.jsonl --scheduler tcp://host:8786

Starts a LocalCluster of ``--workers`` processes (or connects to ``--scheduler``), then
runs ``textql_async.distributed.run_batch``: one JSON line per question in answers.jsonl,
the journal in answers.jsonl.journal. Run it again after a crash or Ctrl-C: answered
questions are skipped, started ones are read from their chat history, only the rest are
asked. Runs against an embedded FakeTextQL when TEXTQL_API_KEY is not set.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

from distributed import Client, LocalCluster

from textql_async.distributed import run_batch
from textql_async.testing import FakeTextQL


@contextlib.asynccontextmanager
async def credentials() -> AsyncIterator[dict[str, Any]]:
    """TEXTQL_* from the environment, or an embedded fake's (served by this process)."""
    if os.environ.get("TEXTQL_API_KEY"):
        yield {}  # every worker reads TEXTQL_API_KEY / TEXTQL_MEMBER_ID / TEXTQL_BASE_URL
        return
    async with FakeTextQL(event_delay=0.01) as fake:
        print(f"(no TEXTQL_API_KEY: asking an embedded fake at {fake.url})", file=sys.stderr)
        yield {"api_key": fake.api_key, "member_id": fake.member_id, "base_url": fake.url}


@contextlib.asynccontextmanager
async def cluster(workers: int, scheduler: str | None) -> AsyncIterator[Client]:
    if scheduler is not None:
        async with Client(scheduler, asynchronous=True) as client:
            yield client
        return
    async with LocalCluster(
        n_workers=workers, threads_per_worker=1, asynchronous=True, dashboard_address=":0"
    ) as local, Client(local, asynchronous=True) as client:
        yield client


def read_questions(path: str) -> list[str]:
    with open(path, encoding="utf-8") as file:
        return [line.strip() for line in file if line.strip()]


async def main(args: argparse.Namespace, questions: list[str]) -> int:
    async with credentials() as options, cluster(args.workers, args.scheduler) as dask_client:
        counts = await run_batch(
            questions,
            dask_client=dask_client,
            concurrency=args.concurrency,
            out=args.answers,
            client_options=options,
        )
    print(
        f"{counts.answered} answered, {counts.recovered} recovered, {counts.failed} failed, "
        f"{len(questions) - counts.total} already in {args.answers}"
    )
    return 1 if counts.failed else 0


if __name__ == "__main__":  # the guard matters: Dask starts its workers by re-importing this
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions")
    parser.add_argument("answers")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scheduler", help="a running scheduler instead of a local cluster")
    parser.add_argument("--concurrency", type=int, default=20)
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments, read_questions(arguments.questions))))
