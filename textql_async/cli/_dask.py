"""``textql-async batch FILE --out OUT --dask ADDRESS``: the batch on a Dask cluster.

``--dask local:N`` starts a ``LocalCluster`` of N worker processes (one thread each) for the
run and prints its dashboard link (the dashboard needs ``bokeh``); any other value is the
address of a running scheduler (``tcp://host:8786``). The workers get this command's
credentials and base URL; this process writes the out file and its journal.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from textql_async._client import AsyncTextQL
from textql_async._journal import plan_batch
from textql_async.cli._batch import BatchOptions, progress_bar, read_questions, summarize

__all__ = ["parse_dask_address", "run_dask_batch"]


def parse_dask_address(text: str) -> int | str:
    """``local:N`` -> N worker processes; anything else is a scheduler address."""
    if text.startswith("local:"):
        count = text[len("local:") :]
        if not count.isdigit() or int(count) < 1:
            raise ValueError(f"--dask local:N needs a worker count of at least 1, not {count!r}")
        return int(count)
    if not text.strip():
        raise ValueError("--dask needs a scheduler address or local:N")
    return text


async def run_dask_batch(client: AsyncTextQL, options: BatchOptions) -> None:
    """Run the batch of ``options`` on Dask with ``client``'s credentials."""
    if options.out is None:
        raise ValueError("--dask needs --out FILE: this process writes the answers and journal")
    assert options.dask is not None
    target = parse_dask_address(options.dask)
    if importlib.util.find_spec("distributed") is None:
        raise ValueError("--dask needs Dask: pip install 'textql-async[dask]'")
    from textql_async.distributed import run_batch
    from textql_async.distributed._cluster import dask_client

    questions = read_questions(options.questions)
    plan = plan_batch(questions, options.out)
    settings = client._settings
    client_options: dict[str, Any] = {
        "api_key": settings.api_key,
        "member_id": settings.member_id,
        "base_url": settings.base_url,
    }
    ask_args: dict[str, Any] = {}
    if options.dataset is not None:
        ask_args["dataset"] = options.dataset
    async with dask_client(target) as dask:
        with progress_bar(len(plan.todo)) as bar:
            counts = await run_batch(
                questions,
                dask_client=dask,
                concurrency=options.concurrency,
                rate=options.rate,
                out=options.out,
                client_options=client_options,
                progress=bar,
                recover_timeout=options.recover_timeout,
                recover_stable_for=options.recover_stable_for,
                **ask_args,
            )
    summarize(counts, len(plan.skipped), options.out)
