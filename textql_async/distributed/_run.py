"""The client side of a batch on Dask: plan, partition, submit, and be the one writer of ``out``."""

from __future__ import annotations

import asyncio
import inspect
import math
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from typing import Any

import anyio
import dask.config
from distributed import Client, Event, Future, Queue, Semaphore, Variable, wait

from textql_async._client import AsyncTextQL
from textql_async._journal import BatchCounts, BatchSink, plan_batch, result_line
from textql_async._journaled import Recovery, Work, check_ask_args
from textql_async.distributed._names import PartitionSpec, RunNames
from textql_async.distributed._plugin import TextQLWorkerPlugin
from textql_async.distributed._worker import empty_state, rate_leases, run_partition

__all__ = ["run_batch"]

_POLL = 0.05
_PARTITION_SIZE = 100  # a partition's state is rewritten whole at each step: keep it small
_STOP_GRACE = 15.0
_TASK_RETRIES = 2


async def run_batch(
    questions: Sequence[str],
    *,
    dask_client: Client,
    concurrency: int,
    rate: float | None = None,
    out: str,
    client_options: Mapping[str, Any] | None = None,
    partitions: int | None = None,
    recover_timeout: float = 120.0,
    recover_stable_for: float | None = None,
    progress: Callable[[BatchCounts], None] | None = None,
    **ask_args: Any,
) -> BatchCounts:
    """Ask every question of ``questions`` on a Dask cluster; one JSON line per question in ``out``.

    ``await run_batch(questions, dask_client=client, concurrency=20, out="answers.jsonl")``
    with ``client = await distributed.Client(address, asynchronous=True)``.

    The questions are cut into ``partitions`` Dask tasks (default: one per worker
    thread, and at least one per 100 questions); each worker answers its partitions
    with one ``AsyncTextQL(**client_options)``. At most ``concurrency`` Ana streams
    are open over the whole cluster (a ``distributed.Semaphore``). ``rate`` is
    leased, not split: a second semaphore of ``ceil(rate)`` leases, each question
    start takes one and gives it back ``ceil(rate) / rate`` seconds later, so no
    window of that length sees more than ``ceil(rate)`` starts over the whole
    cluster, however many partitions or workers run.

    This process alone writes ``out`` (answers, flushed per line) and
    ``out + ".journal"`` (each question's chat id, the moment it arrives). A
    rerun with the same ``out`` skips what was answered, recovers from the chat
    history what was started (also after a worker died: the task's retry does it),
    and asks only the questions that never reached a chat id. ``ask_args`` are
    ``client.ana.stream()`` arguments (``dataset``, ``timeout``...). Returns the
    counts; failed questions are lines with ``error`` set, never an exception.
    Invalid arguments raise ``TypeError`` / ``ValueError`` before anything runs.
    """
    _check(questions, concurrency, rate, out, partitions, ask_args)
    try:  # the names only: credentials resolve on the workers, from their environment
        inspect.signature(AsyncTextQL).bind(**dict(client_options or {}))
    except TypeError as exc:
        raise TypeError(f"client_options are AsyncTextQL arguments: {exc}") from None
    if not getattr(dask_client, "asynchronous", False):
        raise TypeError(
            "run_batch needs an asynchronous Dask client (Client(..., asynchronous=True)); "
            "with a synchronous one, call dask_client.sync(run_batch, ...)"
        )
    plan = plan_batch(list(questions), out)
    works = [Work(i, questions[i], plan.recover.get(i)) for i in plan.todo]
    with BatchSink.open(out, len(works), progress) as sink:
        if works:
            await _run(
                dask_client,
                sink,
                works,
                concurrency=concurrency,
                rate=rate,
                client_options=client_options,
                partitions=partitions,
                recovery=Recovery(recover_timeout, recover_stable_for),
                ask_args=ask_args,
            )
    sink.counts.total = len(works)
    return sink.counts


def _check(
    questions: Sequence[str],
    concurrency: int,
    rate: float | None,
    out: str,
    partitions: int | None,
    ask_args: Mapping[str, Any],
) -> None:
    if isinstance(questions, str):
        raise TypeError("questions is a sequence of strings, not one string")
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError("concurrency must be an int of at least 1")
    if rate is not None and rate <= 0:
        raise ValueError("rate must be positive (questions per second) or None")
    if partitions is not None and partitions < 1:
        raise ValueError("partitions must be at least 1")
    if not isinstance(out, str) or not out:
        raise ValueError("out must be the path of the answers file")
    for question in questions:
        if not isinstance(question, str):
            raise TypeError(f"a question is a str, not {type(question).__name__}")
        check_ask_args(question, ask_args)


async def _run(
    dask_client: Client,
    sink: BatchSink,
    works: list[Work],
    *,
    concurrency: int,
    rate: float | None,
    client_options: Mapping[str, Any] | None,
    partitions: int | None,
    recovery: Recovery,
    ask_args: Mapping[str, Any],
) -> None:
    names = RunNames(uuid.uuid4().hex[:16])
    lease_timeout = dask.config.get("distributed.scheduler.locks.lease-timeout")
    if partitions is None:
        threads = await dask_client.nthreads()
        partitions = max(1, sum(threads.values()), math.ceil(len(works) / _PARTITION_SIZE))
    count = min(partitions, len(works))
    parts = [works[k::count] for k in range(count)]
    queue = await Queue(names.queue, client=dask_client)  # created before any worker puts
    stop = Event(names.stop, client=dask_client)
    states = [Variable(names.state(k), client=dask_client) for k in range(count)]
    semaphore = await Semaphore(
        max_leases=concurrency,
        name=names.semaphore,
        scheduler_rpc=dask_client.scheduler,
        loop=dask_client.loop,
    )
    starts = (
        await Semaphore(
            max_leases=rate_leases(rate),
            name=names.starts,
            scheduler_rpc=dask_client.scheduler,
            loop=dask_client.loop,
        )
        if rate is not None
        else None
    )
    futures: list[Future[Any]] = []
    try:
        # setup runs on every worker now: a bad option raises here, before any question
        await dask_client.register_plugin(TextQLWorkerPlugin(client_options), name=names.plugin)
        for state in states:
            await state.set(empty_state())
        for k, part in enumerate(parts):
            spec = PartitionSpec(
                names, k, part, dict(ask_args), concurrency, rate, recovery, lease_timeout
            )
            futures.append(
                dask_client.submit(
                    run_partition,
                    spec,
                    key=f"textql-batch-{names.run_id}-{k}",
                    pure=False,
                    retries=_TASK_RETRIES,
                )
            )
        try:
            while not all(f.done() for f in futures):
                if not await _drain(queue, sink):
                    await asyncio.sleep(_POLL)
            await _drain(queue, sink)
        except BaseException:  # interrupted: stop the workers, journal what they started
            with anyio.CancelScope(shield=True):
                await _interrupt(stop, futures, queue, states, sink, parts)
            raise
        await _fail_lost(futures, parts, sink)
    finally:
        with anyio.CancelScope(shield=True):
            await _cleanup(dask_client, futures, names, [semaphore, starts], states)


async def _drain(queue: Queue, sink: BatchSink) -> int:
    """Write every message the workers sent so far; how many there were."""
    messages = await queue.get(batch=True)
    for message in messages:
        if message.get("kind") == "started":
            sink.started(int(message["index"]), str(message["chat_id"]))
        elif message.get("kind") == "results":
            for line in message["lines"]:
                sink.result(dict(line))
    return len(messages)


async def _interrupt(
    stop: Event,
    futures: list[Future[Any]],
    queue: Queue,
    states: list[Variable],
    sink: BatchSink,
    parts: list[list[Work]],
) -> None:
    await stop.set()
    try:
        await wait(futures, timeout=_STOP_GRACE)
    except Exception:
        pass
    await _drain(queue, sink)
    for state in states:  # the authoritative record, in case a message never made the queue
        try:
            value = await state.get(timeout=1)
        except Exception:
            continue
        for index, chat_id in value.get("started", []):
            sink.started(int(index), str(chat_id))


async def _fail_lost(futures: list[Future[Any]], parts: list[list[Work]], sink: BatchSink) -> None:
    """A partition whose task failed for good: a failed line for each question left in it."""
    for future, part in zip(futures, parts, strict=False):
        if future.status == "finished":
            continue
        error = await future.exception() if future.status == "error" else None
        reason = f"{type(error).__name__}: {error}" if error is not None else future.status
        lost = RuntimeError(f"its Dask task did not finish: {reason}")
        for work in part:
            if not sink.is_finished(work.index):
                sink.result(result_line(work.index, work.query, error=lost))


async def _cleanup(
    dask_client: Client,
    futures: list[Future[Any]],
    names: RunNames,
    semaphores: list[Semaphore | None],
    states: list[Variable],
) -> None:
    actions: list[Callable[[], Awaitable[Any]]] = [
        lambda: dask_client.cancel(futures),
        lambda: dask_client.unregister_worker_plugin(names.plugin),
        *(partial(_close_semaphore, s) for s in semaphores if s is not None),
        *(state.delete for state in states),
    ]
    for action in actions:
        try:
            await action()
        except Exception:
            continue


async def _close_semaphore(semaphore: Semaphore) -> None:
    """Close it once every lease is back; a dead worker's leases expire on their own first."""
    if await semaphore.get_value() == 0:
        await semaphore.close()
    else:  # closing with leases out warns on the scheduler; its state is one small dict
        semaphore.refresh_callback.stop()
