"""Batch querying: many Ana questions at once, bounded, rate-limited, failures isolated.

The batch is an async generator, so it must not hold a task group across its
``yield`` s (a cancel scope spanning a yield breaks when the consumer leaves
early). Each question runs in its own task instead; a
:class:`anyio.CapacityLimiter` bounds how many streams are open, results come
back through an anyio memory object stream, and leaving the loop (``break``,
an exception, cancellation) cancels and awaits every task still running.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping
from typing import Any, Union

import anyio
import msgspec

from textql_async._options import RequestOptions
from textql_async.models.ana import AnaResult

__all__ = ["BatchItem", "Query", "run_batch"]

Query = Union[str, Mapping[str, Any]]
"""A question, or a dict of ``ask()`` arguments with at least ``query``."""
Progress = Callable[["BatchItem", int, "int | None"], None]


class BatchItem(msgspec.Struct, frozen=True):
    """One answered question: exactly one of ``result`` / ``error`` is set."""

    index: int
    query: Query
    result: AnaResult | None = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        """Whether the question was answered."""
        return self.error is None


class _RateLimiter:
    """Spaces task starts ``1 / rate`` seconds apart (no burst)."""

    def __init__(self, rate: float | None) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive (requests per second) or None")
        self._interval = 1.0 / rate if rate else 0.0
        self._next = 0.0
        self._lock = anyio.Lock()

    async def wait(self) -> None:
        if not self._interval:
            return
        async with self._lock:
            now = anyio.current_time()
            start = max(now, self._next)
            self._next = start + self._interval
        if start > now:
            await anyio.sleep(start - now)


def run_batch(
    ask: Callable[..., Awaitable[AnaResult]],
    queries: Iterable[Query],
    *,
    concurrency: int = 8,
    rate: float | None = None,
    ordered: bool = False,
    progress: Progress | None = None,
    ask_kwargs: Mapping[str, Any] | None = None,
    validate: Callable[[Mapping[str, Any]], object] | None = None,
) -> AsyncGenerator[BatchItem, None]:
    """Ask every query; yield a :class:`BatchItem` per answer (completion order unless ``ordered``).

    Every query is checked here, before any request: a bad ``concurrency`` or
    ``rate``, a dict without ``query``, an argument ``ask`` does not take
    (``TypeError``) or a value ``validate`` rejects (``ValueError``) raises at
    once, so a batch never half-runs because its 900th question was empty.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    if rate is not None and rate <= 0:
        raise ValueError("rate must be positive (requests per second) or None")
    items = list(queries)
    calls = [_call_arguments(q, ask_kwargs or {}) for q in items]
    signature = _signature(ask)
    for call in calls:
        if signature is not None:
            _check_arguments(signature, call)  # TypeError for an argument ask() does not take
        if validate is not None:
            validate(call)
    return _run(ask, items, calls, concurrency, rate, ordered, progress)


def _check_arguments(signature: inspect.Signature, call: Mapping[str, Any]) -> None:
    """Bind ``call``; keywords caught by ``**options`` must be request options."""
    bound = signature.bind(**call)
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            unknown = set(bound.arguments.get(parameter.name, {})) - _OPTION_NAMES
            if unknown:
                raise TypeError(f"ask() got an unexpected keyword argument {sorted(unknown)[0]!r}")


_OPTION_NAMES = frozenset(RequestOptions.__annotations__)


def _signature(function: Callable[..., Any]) -> inspect.Signature | None:
    try:
        return inspect.signature(function)
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return None


async def _run(
    ask: Callable[..., Awaitable[AnaResult]],
    items: list[Query],
    calls: list[dict[str, Any]],
    concurrency: int,
    rate: float | None,
    ordered: bool,
    progress: Progress | None,
) -> AsyncGenerator[BatchItem, None]:
    limiter = anyio.CapacityLimiter(concurrency)
    pacer = _RateLimiter(rate)
    send, receive = anyio.create_memory_object_stream[BatchItem](len(items) or 1)

    async def one(index: int) -> None:
        async with limiter:
            await pacer.wait()
            try:
                result = await ask(**calls[index])
            except Exception as exc:  # one failure never cancels the others
                item = BatchItem(index, items[index], error=exc)
            else:
                item = BatchItem(index, items[index], result=result)
        try:
            send.send_nowait(item)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):  # pragma: no cover
            pass  # the consumer left between this answer and the cancellation

    tasks = [asyncio.ensure_future(one(i)) for i in range(len(items))]
    done = 0
    waiting: dict[int, BatchItem] = {}
    next_index = 0
    try:
        async with receive:
            while done < len(items):
                item = await receive.receive()
                done += 1
                if progress is not None:
                    progress(item, done, len(items))
                if not ordered:
                    yield item
                    continue
                waiting[item.index] = item
                while next_index in waiting:
                    yield waiting.pop(next_index)
                    next_index += 1
    finally:
        for task in tasks:
            task.cancel()
        with anyio.CancelScope(shield=True):
            await asyncio.gather(*tasks, return_exceptions=True)
        send.close()


def _call_arguments(query: Query, defaults: Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(query, str):
        return {**defaults, "query": query}
    if isinstance(query, Mapping):
        if "query" not in query:
            raise ValueError(f"a batch query dict needs a 'query' key: {dict(query)!r}")
        return {**defaults, **query}
    raise TypeError(f"a batch query is a str or a dict of ask() arguments, not {type(query).__name__}")
