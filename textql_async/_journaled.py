"""A journaled batch: each question reports its chat id the moment it arrives, or is recovered.

The one implementation behind ``textql-async batch`` (one process) and
:func:`textql_async.distributed.run_batch` (one partition per Dask task). A
:class:`Work` item is either a question to ask - its ``on_started(index,
chat_id)`` hook runs as soon as Ana's ``chatId`` arrives, before any block - or
a question started by an earlier attempt (``chat_id`` set), whose answer is read
from the chat history and never asked again. Questions run through
:func:`textql_async._batch.run_batch` (bounded, failures isolated); an optional
``lease`` (the cluster-wide Dask semaphore) is held for each question's whole
run and released on every path, and the rate pacing happens after the lease
is acquired, so ``rate`` counts questions actually started.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any

import anyio
import msgspec

from textql_async._batch import BatchItem, _RateLimiter, run_batch
from textql_async._exceptions import APITimeoutError, StreamError
from textql_async._streaming import AnaStream
from textql_async.models.ana import AnaResult
from textql_async.resources.ana import AnaResource, ana_params
from textql_async.sansio.fold import Snapshot

__all__ = [
    "ASK_ARGUMENTS",
    "CHAT_ID_GRACE",
    "BatchInterrupted",
    "OnStarted",
    "Recovery",
    "Work",
    "answer_one",
    "check_ask_args",
    "journaled_batch",
    "recover_chat",
    "work_of",
]

OnStarted = Callable[[int, str], "Awaitable[None] | None"]
"""``on_started(index, chat_id)``: journal it; may return an awaitable (awaited before the answer)."""
Lease = Callable[[], AbstractAsyncContextManager[object]]

ASK_ARGUMENTS = frozenset(
    {"dataset", "use_ontology", "ontology_connector_id", "clifford", "timeout", "max_retries"}
)
"""The ``client.ana.stream()`` arguments a batch question may carry."""


class Work(msgspec.Struct, frozen=True):
    """One question of a journaled batch; ``chat_id`` set: started before, recover it."""

    index: int
    query: str
    chat_id: str | None = None


class Recovery(msgspec.Struct, frozen=True):
    """How to read a started question's answer from the chat history (``client.ana.recover``).

    ``stable_for`` ``None``: the SDK's default window (``DEFAULT_RECOVER_STABLE_FOR``).
    """

    timeout: float = 120.0
    stable_for: float | None = None


def check_ask_args(query: str, ask_args: Mapping[str, Any]) -> None:
    """Raise ``TypeError`` / ``ValueError`` for arguments a batch question cannot be asked with."""
    unknown = set(ask_args) - ASK_ARGUMENTS
    if unknown:
        raise TypeError(f"unknown ask argument(s) for a batch: {', '.join(sorted(unknown))}")
    ana_params(
        query,
        dataset=ask_args.get("dataset"),
        use_ontology=ask_args.get("use_ontology", False),
        ontology_connector_id=ask_args.get("ontology_connector_id"),
        clifford=ask_args.get("clifford", False),
    )


async def recover_chat(
    ana: AnaResource, chat_id: str, snapshot: Snapshot | None, recovery: Recovery
) -> AnaResult:
    """The answer of ``chat_id`` from its history (``client.ana.recover``), never a second ask.

    Raises :class:`~textql_async.RecoveryTimeoutError` (``.snapshot``: the best state
    known) when the history gave no proof that the answer ended within the timeout.
    """
    return await ana.recover(
        chat_id, snapshot=snapshot, timeout=recovery.timeout, stable_for=recovery.stable_for
    )


class BatchInterrupted(Exception):
    """The batch was asked to stop: this question was not finished (nor failed)."""


CHAT_ID_GRACE = 10.0
"""On a stop, how long a question already sent waits for its chat id before it is cut."""


async def _final(stream: AnaStream, stop: anyio.Event | None, chat_known: anyio.Event) -> AnaResult:
    """``stream.final()``; on ``stop``, cut it - but only once its chat id is journaled."""
    if stop is None:
        return await stream.final()
    result: list[AnaResult] = []
    failed: list[Exception] = []
    async with anyio.create_task_group() as group:

        async def cut_on_stop() -> None:
            await stop.wait()
            with anyio.move_on_after(CHAT_ID_GRACE):  # a sent question is never left unjournaled
                await chat_known.wait()
            group.cancel_scope.cancel()

        group.start_soon(cut_on_stop)
        try:
            result.append(await stream.final())
        except Exception as exc:  # raised as itself, not as an exception group
            failed.append(exc)
        group.cancel_scope.cancel()
    if failed:
        raise failed[0]
    if not result:
        raise BatchInterrupted("the batch stopped while this question was in flight")
    return result[0]


async def answer_one(
    ana: AnaResource,
    work: Work,
    ask_args: Mapping[str, Any],
    on_started: OnStarted | None,
    recovery: Recovery,
    stop: anyio.Event | None = None,
) -> AnaResult:
    """Ask ``work`` (or recover it); ``on_started`` runs the moment its chat id arrives.

    ``stop`` set: a question not sent yet raises :class:`BatchInterrupted` at once, one in
    flight once its chat id is out (a later run recovers it).
    """
    if stop is not None and stop.is_set():
        raise BatchInterrupted("the batch stopped before this question was asked")
    if work.chat_id is not None:
        return await recover_chat(ana, work.chat_id, None, recovery)
    pending: list[asyncio.Future[None]] = []
    chat_known = anyio.Event()

    def started(chat_id: str) -> None:
        if on_started is not None:
            outcome = on_started(work.index, chat_id)
            if inspect.isawaitable(outcome):
                pending.append(asyncio.ensure_future(outcome))
        if pending:
            pending[-1].add_done_callback(lambda _: chat_known.set())
        else:
            chat_known.set()

    stream = ana.stream(work.query, **ask_args)
    stream.on_chat_id(started)
    try:
        try:
            async with stream:
                return await _final(stream, stop, chat_known)
        except (StreamError, APITimeoutError) as exc:
            snapshot = exc.snapshot
            if not (exc.recoverable and snapshot is not None and snapshot.chat_id):
                raise
            return await recover_chat(ana, snapshot.chat_id, snapshot, recovery)
    finally:
        if pending:  # the journal line is out before the answer (or the cancellation) is
            with anyio.CancelScope(shield=True):
                await asyncio.gather(*pending)


def journaled_batch(
    ana: AnaResource,
    works: list[Work],
    *,
    concurrency: int,
    rate: float | None = None,
    ask_args: Mapping[str, Any] | None = None,
    on_started: OnStarted | None = None,
    lease: Lease | None = None,
    pace: Callable[[], Awaitable[None]] | None = None,
    recovery: Recovery | None = None,
    stop: anyio.Event | None = None,
) -> AsyncGenerator[BatchItem, None]:
    """Run ``works``; yield a :class:`BatchItem` (``query`` is the :class:`Work`) per question.

    ``pace`` (instead of ``rate``'s local spacing) is awaited before each question is
    asked, inside its lease. Setting ``stop`` ends the batch gracefully: nothing new is
    asked, and a question in flight is cut once its chat id is journaled; both come back
    as items whose ``error`` is a :class:`BatchInterrupted`. Arguments are checked here,
    before any request (``TypeError`` / ``ValueError``).
    """
    args = dict(ask_args or {})
    for work in works:
        check_ask_args(work.query, args)
    wait = pace if pace is not None else _RateLimiter(rate).wait
    recover = recovery if recovery is not None else Recovery()
    hold: Lease = lease if lease is not None else nullcontext

    async def one(*, query: str, work: Work) -> AnaResult:
        async with hold():
            if work.chat_id is None:
                await wait()  # recoveries start nothing: they are not paced
            return await answer_one(ana, work, args, on_started, recover, stop)

    return run_batch(
        one, [{"query": w.query, "work": w} for w in works], concurrency=concurrency
    )


def work_of(item: BatchItem) -> Work:
    """The :class:`Work` a journaled batch's item answers."""
    query = item.query
    assert not isinstance(query, str)
    work = query["work"]
    assert isinstance(work, Work)
    return work
