"""Batch querying past one machine: the batch runs on Dask, and no question is asked twice.

```text
from distributed import Client
from textql_async.distributed import run_batch

async with Client("tcp://scheduler:8786", asynchronous=True) as dask_client:
    counts = await run_batch(questions, dask_client=dask_client, concurrency=20,
                             rate=10, out="answers.jsonl", dataset="retail")
```

Questions are partitioned into Dask tasks; each worker process keeps one
``AsyncTextQL`` (:class:`TextQLWorkerPlugin`) and runs its partitions with the
single-process batch machinery. Global limits: a ``distributed.Semaphore`` of
``concurrency`` leases (one per question in flight, over the whole cluster) and
``rate`` split evenly over the partitions. The client side alone writes the out
file and its journal (``out + ".journal"``); a retried task or a rerun finishes
a started question from the chat history, never by asking Ana again. Needs the
``dask`` extra: ``pip install 'textql-async[dask]'``.
"""

from __future__ import annotations

try:
    import distributed as _distributed  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised without the extra only
    raise ImportError(
        "textql_async.distributed needs Dask: pip install 'textql-async[dask]'"
    ) from exc

from textql_async._journal import BatchCounts
from textql_async.distributed._plugin import TextQLWorkerPlugin
from textql_async.distributed._run import run_batch

__all__ = ["BatchCounts", "TextQLWorkerPlugin", "run_batch"]
