"""One ``XREAD BLOCK`` per answer per process, shared by that process's readers.

Without it every reader would hold a Redis connection while it waits, and a replica with
more readers than its connection pool (100 by default in redis-py) would stall. A tail
reads the answer's stream once, keeps the last ``keep`` events in memory and wakes its
readers; a reader is a cursor into it (like the in-process relay). A reader further
behind than the tail keeps catches up from the stream itself (``XRANGE``, no blocking),
or gets a snapshot when the stream no longer has what it missed. When nothing arrives
for ``block_ms`` the tail checks the answer: gone (expired), finished while the stream
lost entries, or without a live lease - then it tries the takeover.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio

from textql_async.relay._events import AnswerNotFoundError, RelayEvent, RelayUnavailableError

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["Tail", "entries_of", "text"]


def text(value: Any) -> str:
    """A Redis reply value as ``str`` (bytes with the default client, str with decoding)."""
    return value.decode() if isinstance(value, bytes) else str(value)


def entries_of(reply: Any) -> list[tuple[Any, dict[Any, Any]]]:
    """Stream entries of an ``XREAD``/``XRANGE`` reply, in RESP2 or RESP3 shape."""
    if not reply:
        return []
    # XRANGE: [(id, fields)]; XREAD RESP2: [[stream, [(id, fields)]]];
    # XREAD RESP3 (redis-py 8): {stream: [[(id, fields)]]}
    groups = list(reply.values()) if isinstance(reply, dict) else reply
    found: list[tuple[Any, dict[Any, Any]]] = []

    def collect(items: Any) -> None:
        for item in items:
            if isinstance(item, (bytes, str)):
                continue  # a stream name
            if len(item) == 2 and isinstance(item[1], dict):
                found.append((item[0], item[1]))
            else:
                collect(item)

    collect(groups)
    return found


def event_of(entry_id: Any, values: dict[Any, Any]) -> RelayEvent:
    """The relay event stored in one stream entry (id ``{seq}-0``, fields ``k`` and ``d``)."""
    fields = {text(k): text(v) for k, v in values.items()}
    seq = int(text(entry_id).split("-", 1)[0])
    return RelayEvent(seq, fields["k"], json.loads(fields["d"]))  # type: ignore[arg-type]


class Tail:
    """The shared reader of one answer's stream in this process."""

    def __init__(
        self,
        redis: Redis,
        answer_id: str,
        keys: list[str],
        seq: int,
        *,
        keep: int,
        block_ms: int,
        hgetall: Callable[[str], Awaitable[dict[str, str]]],
        takeover: Callable[[str], Awaitable[bool]],
        errors: tuple[type[BaseException], ...],
    ) -> None:
        self._redis = redis
        self.answer_id = answer_id
        self._state_key, self._log_key, self._lease_key = keys[0], keys[1], keys[2]
        self.seq = seq  #: the last seq this tail has read
        self.events: deque[RelayEvent] = deque(maxlen=keep)
        self.changed = anyio.Event()
        self.failure: BaseException | None = None
        self.readers = 0
        self._block_ms = block_ms
        self._hgetall = hgetall
        self._takeover = takeover
        self._errors = errors
        self.task: asyncio.Task[None] | None = None

    def after(self, cursor: int) -> RelayEvent | bool | None:
        """The event after ``cursor``; ``None``: not read yet; ``False``: older than kept."""
        if cursor >= self.seq:
            return None
        if not self.events or cursor + 1 < self.events[0].seq:
            return False
        return self.events[cursor + 1 - self.events[0].seq]

    @property
    def first(self) -> int:
        """The seq of the oldest event kept (``seq + 1`` when none is)."""
        return self.events[0].seq if self.events else self.seq + 1

    def _wake(self) -> None:
        waiters, self.changed = self.changed, anyio.Event()
        waiters.set()

    def _reset(self, seq: int) -> None:
        """The stream lost entries this tail did not read: start over after ``seq``."""
        self.events.clear()
        self.seq = seq
        self._wake()

    async def run(self) -> None:
        """Read the stream until the answer ends, fails, or the last reader leaves."""
        try:
            while True:
                reply = await self._redis.xread(
                    {self._log_key: f"{self.seq}-0"}, count=256, block=self._block_ms
                )
                entries = entries_of(reply)
                if not entries:
                    if await self._idle():
                        return
                    continue
                for entry_id, values in entries:
                    event = event_of(entry_id, values)
                    if event.seq != self.seq + 1:
                        self.events.clear()
                    self.events.append(event)
                    self.seq = event.seq
                    if event.terminal:
                        self._wake()
                        return
                self._wake()
        except self._errors as exc:
            self.failure = RelayUnavailableError(f"Redis is unavailable: {exc}")
        except AnswerNotFoundError as exc:
            self.failure = exc
        finally:
            self._wake()

    async def _idle(self) -> bool:
        """Nothing arrived for ``block_ms``: check the answer; ``True`` ends the tail."""
        fields = await self._hgetall(self._state_key)
        if not fields:
            raise AnswerNotFoundError(self.answer_id)  # expired (or Redis lost it)
        stored = int(fields["seq"])
        if stored > self.seq:
            if await self._redis.xrange(self._log_key, f"{self.seq + 1}-0", "+", count=1):
                return False  # written just now: the next XREAD gets it
            self._reset(stored)  # what this tail missed is gone from the stream
            return "final" in fields
        if "final" not in fields and not await self._redis.exists(self._lease_key):
            await self._takeover(self.answer_id)
        return False
