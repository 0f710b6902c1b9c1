"""The Dask task: run one partition of the batch on a worker, journaling as it goes.

The task is a coroutine, so Dask runs it on the worker's event loop next to the
worker's ``AsyncTextQL`` (from :class:`TextQLWorkerPlugin`). The partition goes
through the single-process machinery (:func:`textql_async._journaled.journaled_batch`)
with three cluster-wide pieces:

- the lease: each question holds one lease of the run's ``distributed.Semaphore``
  while it runs, released on every path (shielded from cancellation); a killed
  worker's leases expire after ``distributed.scheduler.locks.lease-timeout``;
- the journal hop: the moment a chat id arrives, the partition's state
  ``Variable`` is updated and a ``started`` message is put on the run's
  ``Queue`` (both held by the scheduler, both awaited before the answer is sent);
  finished questions follow as ``results`` messages, batched every 50 ms (a
  batch lost with its worker is only recovered again, never asked again);
- retries: a retry of the task (its worker died, or the task raised) reads the
  partition's state first, skips what was finished and recovers from the chat
  history what was started - it never asks those again.

An interruption (the client sets the run's stop ``Event``, polled every 0.1 s)
starts nothing new and cuts each question in flight once its ``started`` message
is out - one sent but without a chat id yet waits for it - and the task returns.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager
from typing import Any

import anyio
import dask.config
from distributed import Event, Queue, Semaphore, Variable, get_client, get_worker

from textql_async._client import AsyncTextQL
from textql_async._journal import result_line
from textql_async._journaled import BatchInterrupted, Work, journaled_batch, work_of
from textql_async.distributed._names import PartitionSpec
from textql_async.distributed._plugin import plugin_of, worker_client

__all__ = ["empty_state", "rate_leases", "run_partition"]

_STOP_POLL = 0.1
_RESULTS_EVERY = 0.05  # seconds between result batches
_RESULTS_BATCH = 50
_LEASE_TIMEOUT = "distributed.scheduler.locks.lease-timeout"


def empty_state() -> dict[str, Any]:
    """A partition's state before its first attempt."""
    return {"started": [], "done": []}


async def run_partition(spec: PartitionSpec) -> dict[str, Any]:
    """Answer ``spec.works`` (skipping / recovering what earlier attempts did); a summary."""
    worker = get_worker()
    client = worker_client(worker, spec.names.plugin)
    shared = get_client()
    if shared.asynchronous:
        await shared  # the worker's own client: started on first use
    queue = await Queue(spec.names.queue, client=shared)
    state_var = Variable(spec.names.state(spec.number), client=shared)
    stop = Event(spec.names.stop, client=shared)
    # made here, not pickled: its lease-refresh timer must run on this worker's loop
    with dask.config.set({_LEASE_TIMEOUT: spec.lease_timeout or dask.config.get(_LEASE_TIMEOUT)}):
        semaphore = Semaphore(max_leases=spec.concurrency, name=spec.names.semaphore)
        starts = (
            Semaphore(max_leases=rate_leases(spec.rate), name=spec.names.starts)
            if spec.rate is not None
            else None
        )
    returns: set[asyncio.Task[None]] = set()  # start leases still held for their window
    try:
        return await _run(spec, client, queue, state_var, stop, semaphore, starts, returns)
    finally:
        _stop_refresh(semaphore)
        if starts is not None:
            if returns:  # their windows outlive the task: returned in the background
                plugin_of(worker, spec.names.plugin).keep(_linger(returns, starts))
            else:
                _stop_refresh(starts)


def _stop_refresh(semaphore: Semaphore) -> None:
    callback = getattr(semaphore, "refresh_callback", None)
    if callback is not None:
        callback.stop()


async def _linger(returns: set[asyncio.Task[None]], starts: Semaphore) -> None:
    try:
        await asyncio.gather(*returns, return_exceptions=True)
    finally:
        _stop_refresh(starts)


def rate_leases(rate: float) -> int:
    """How many start leases a cluster-wide ``rate`` uses (each held ``leases / rate`` s)."""
    return max(1, math.ceil(rate))


async def _run(
    spec: PartitionSpec,
    client: AsyncTextQL,
    queue: Queue,
    state_var: Variable,
    stop: Event,
    semaphore: Semaphore,
    starts: Semaphore | None,
    returns: set[asyncio.Task[None]],
) -> dict[str, Any]:
    state = await state_var.get()
    started: dict[int, str] = {int(i): str(c) for i, c in state.get("started", [])}
    done: set[int] = {int(i) for i in state.get("done", [])}
    works = [
        Work(w.index, w.query, w.chat_id or started.get(w.index))
        for w in spec.works
        if w.index not in done
    ]
    lock = asyncio.Lock()

    async def save_state() -> None:
        async with lock:  # one writer per partition: sets land in order
            await state_var.set(
                {"started": [[i, c] for i, c in started.items()], "done": sorted(done)}
            )

    async def on_started(index: int, chat_id: str) -> None:
        started[index] = chat_id
        await save_state()
        await queue.put({"kind": "started", "index": index, "chat_id": chat_id})

    @asynccontextmanager
    async def lease() -> AsyncIterator[None]:
        await semaphore.acquire()  # the whole cluster holds at most spec.concurrency
        try:
            yield
        finally:
            with anyio.CancelScope(shield=True):
                await semaphore.release()

    async def give_back(seconds: float) -> None:
        assert starts is not None
        try:
            await asyncio.sleep(seconds)
        finally:  # also when the partition ends early: the lease is returned exactly once
            with anyio.CancelScope(shield=True):
                await starts.release()

    async def pace() -> None:
        """Take a start lease; it comes back ``window`` s later: <= leases starts per window."""
        assert starts is not None and spec.rate is not None
        await starts.acquire()
        task = asyncio.ensure_future(give_back(rate_leases(spec.rate) / spec.rate))
        returns.add(task)
        task.add_done_callback(returns.discard)

    answered = 0
    interrupted = False
    stopping = anyio.Event()
    batch = journaled_batch(
        client.ana,
        works,
        concurrency=spec.concurrency,
        ask_args=spec.ask_args,
        on_started=on_started,
        lease=lease,
        pace=pace if starts is not None else None,
        recovery=spec.recovery,
        stop=stopping,
    )

    async def watch() -> None:
        nonlocal interrupted
        # polled, not stop.wait(): a cancelled long-poll logs errors on the scheduler
        while True:
            if await stop.is_set():
                break
            await anyio.sleep(_STOP_POLL)
        interrupted = True
        stopping.set()  # nothing new starts; questions in flight end once journaled

    unsent: list[dict[str, Any]] = []
    sending = asyncio.Lock()

    async def send_results() -> None:
        """Results go in batches: one lost with its worker is recovered, never asked again."""
        async with sending:
            if not unsent:
                return
            lines = unsent[:]
            unsent.clear()
            with anyio.CancelScope(shield=True):  # sent whole, then recorded as done
                await queue.put({"kind": "results", "lines": lines})
                done.update(int(line["index"]) for line in lines)
                await save_state()

    async def send_every_so_often() -> None:
        while True:
            await anyio.sleep(_RESULTS_EVERY)
            await send_results()

    if await stop.is_set():  # a partition that starts after the interruption asks nothing
        return {"partition": spec.number, "finished": 0, "interrupted": True}
    async with anyio.create_task_group() as group:
        group.start_soon(watch)
        group.start_soon(send_every_so_often)
        async with aclosing(batch):
            async for item in batch:
                if isinstance(item.error, BatchInterrupted):
                    continue  # not finished: journaled as started (or never asked)
                work = work_of(item)
                unsent.append(result_line(work.index, work.query, item.result, item.error))
                answered += 1
                if len(unsent) >= _RESULTS_BATCH:
                    await send_results()
        group.cancel_scope.cancel()
    await send_results()
    if interrupted:  # nothing starts any more: the start leases come back now
        for task in list(returns):
            task.cancel()
        await asyncio.gather(*returns, return_exceptions=True)
    return {"partition": spec.number, "finished": answered, "interrupted": interrupted}
