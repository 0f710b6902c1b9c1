"""Writing one owned answer to Redis: the fenced publish, retried while the lease lasts.

Split from :mod:`textql_async.relay._redis` so the relay keeps to owning, taking over
and reading answers; the sink knows only the answer's keys, its lease token and the
registered publish script (``_redis_store.PUBLISH``), never the relay.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from textql_async.relay._pump import Wire

__all__ = ["LeaseLost", "Sink", "redis_errors", "stop_errors"]

Publish = Callable[..., Awaitable[Any]]  # redis-py's registered Script: (keys=, args=)


class LeaseLost(Exception):
    """Another replica holds this answer's lease now (or it finished): stop writing."""


def redis_errors() -> tuple[type[BaseException], ...]:
    """What a failing Redis raises (imported late: ``redis`` is the ``relay`` extra)."""
    from redis.exceptions import RedisError

    return (RedisError, OSError)


def stop_errors() -> tuple[type[BaseException], ...]:
    """Errors that end a pump without ending the answer (another replica finishes it)."""
    return (LeaseLost, *redis_errors())


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


class Sink:
    """Writes one owned answer's events through the fenced publish script."""

    __slots__ = ("_answer_id", "_keep", "_keys", "_lease_ms", "_publish", "_token", "_ttl_ms")

    def __init__(
        self,
        publish: Publish,
        keys: list[str],
        answer_id: str,
        token: str,
        *,
        keep: int,
        ttl_ms: int,
        lease_ms: int,
    ) -> None:
        self._publish = publish
        self._keys = keys
        self._answer_id = answer_id
        self._token = token
        self._keep = keep
        self._ttl_ms = ttl_ms
        self._lease_ms = lease_ms

    async def publish(
        self,
        kind: str,
        data: dict[str, Any],
        *,
        changed: dict[int, Wire],
        count: int,
        meta: dict[str, Any],
    ) -> None:
        """Append ``kind`` to the log and update the state; :class:`LeaseLost` if fenced."""
        args: list[Any] = [
            self._token,
            kind,
            _dumps(data),
            "1" if kind in ("done", "error") else "0",
            self._keep,
            self._ttl_ms,
            self._answer_id,
            count,
            _dumps(meta),
        ]
        for index in sorted(changed):
            args += [index, _dumps(changed[index])]
        # Retry a flaky connection while the lease can still be ours; then give up the
        # answer (another replica takes it over from the chat history once Redis is back).
        deadline = anyio.current_time() + self._lease_ms / 1000
        delay = 0.05
        while True:
            try:
                seq = await self._publish(keys=self._keys, args=args)
                break
            except redis_errors():
                if anyio.current_time() + delay > deadline:
                    raise
                await anyio.sleep(delay)
                delay = min(delay * 2, 0.5)
        if int(seq) < 0:
            raise LeaseLost(self._answer_id)
