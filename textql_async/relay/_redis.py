"""The Redis relay: answers shared by every replica, asked once, finished after a crash.

Per answer, under ``prefix + answer_id``:

- ``:log`` - a Redis Stream, one entry per relay event, id ``{seq}-0``, trimmed with
  ``XADD ... MAXLEN ~ keep`` (Redis trims whole macro nodes, so up to ``keep`` plus
  ``stream-node-max-entries`` (100 by default) entries stay). Readers ``XREAD BLOCK``.
- ``:state`` - a hash: ``owner``, ``seq``, ``n`` (block count), ``b:{i}`` (each block's
  wire JSON, so an update rewrites only the blocks that changed), ``meta`` (chat and
  message ids, for recovery) and ``final`` (the ``done``/``error`` event, once finished).
- ``:lease`` - ``SET NX PX lease_ms`` by the replica reading Ana upstream, renewed every
  third of the lease. Each write checks the lease inside one Lua script (fencing), so a
  replica that lost its lease can never write again.

Bounds per answer in Redis: the log's entries (each holds the blocks changed in it;
``done`` holds all of them) plus one copy of the blocks in the hash. Every key expires
``ttl`` after the answer's last sign of life (a write or lease renewal); a finished
answer therefore expires ``ttl`` after it ended. In each process, the readers of one
answer share one ``XREAD BLOCK`` (:mod:`textql_async.relay._redis_tail`), which keeps the
last ``keep`` events in memory while it has readers. The set ``prefix + "active"`` lists
answers not finished yet (one member each) for the takeover scan.

When the replica holding a lease dies, its lease expires; a reader of that answer (on
any replica) or the periodic scan notices within ``lease_ms`` plus ``scan_interval``,
takes the lease with ``SET NX`` and finishes the answer from the chat history
(``GET /api/ana/{chat_id}``), never asking Ana again.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Callable, Coroutine
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio

from textql_async.relay._events import (
    AnswerState,
    RelayEvent,
    RelayUnavailableError,
    error_data,
    new_answer_id,
    state_from,
)
from textql_async.relay._memory import check_ask_args, check_owner
from textql_async.relay._pump import Wire, pump_recovery, pump_upstream
from textql_async.relay._redis_sink import Sink, redis_errors, stop_errors
from textql_async.relay._redis_store import (
    PUBLISH,
    RELEASE,
    RENEW,
    apply_event,
    check_fields,
    final_event,
    redis_from_url,
    snapshot_event,
    wire_blocks,
)
from textql_async.relay._redis_tail import Tail, entries_of, event_of, text

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from textql_async._client import AsyncTextQL

__all__ = ["RedisRelay"]


class RedisRelay:
    """Answers as resumable logs on Redis, shared by every replica (extra ``relay``).

    ``async with RedisRelay(client, "redis://127.0.0.1:6379/0") as relay:`` - the same
    interface as :class:`~textql_async.relay.InMemoryRelay`, but any replica can serve any
    reader, and Ana is asked once: the replica that started an answer holds its lease and
    reads upstream; if it dies, another one finishes the answer from the chat history.

    ``redis`` is a ``redis.asyncio.Redis`` (yours: not closed here) or a URL (a client is
    made with short socket timeouts and closed on exit). ``keep`` bounds each answer's log,
    ``ttl`` (seconds) is how long an answer outlives its last sign of life, ``lease_ms`` the
    upstream lease, ``scan_interval`` how often unfinished answers are checked for a dead
    owner, ``block_ms`` how long a reader's ``XREAD BLOCK`` waits before checking the lease;
    ``recover_timeout``/``recover_stable_for`` go to ``client.ana.recover`` on a takeover.
    Readers in one process share one ``XREAD BLOCK`` per answer, so a replica needs about
    one connection per answer it serves; a client made from a URL has a blocking pool of
    ``max_connections`` (bursts wait for a free connection). With a client of yours, prefer
    a ``BlockingConnectionPool``: redis-py's default pool fails past 100 connections.
    Redis down: :meth:`start` raises :class:`RelayUnavailableError`; a reader gets an
    ``error`` event and ends; commands reconnect by themselves once Redis is back.
    """

    def __init__(
        self,
        client: AsyncTextQL,
        redis: Redis | str,
        *,
        keep: int = 256,
        ttl: float = 600.0,
        lease_ms: int = 3000,
        prefix: str = "textql:relay:",
        scan_interval: float = 1.0,
        block_ms: int = 1000,
        recover_timeout: float = 120.0,
        recover_stable_for: float | None = None,
        max_connections: int = 256,
    ) -> None:
        if keep < 1:
            raise ValueError("keep must be at least 1")
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        if lease_ms < 100:
            raise ValueError("lease_ms must be at least 100")
        if scan_interval <= 0 or block_ms < 1:
            raise ValueError("scan_interval and block_ms must be positive")
        self._client = client
        self._owns_redis = isinstance(redis, str)
        if isinstance(redis, str):
            self._redis = redis_from_url(redis, block_ms=block_ms, max_connections=max_connections)
        else:
            self._redis = redis
        self._keep = keep
        self._ttl_ms = max(int(ttl * 1000), 1)
        self._lease_ms = lease_ms
        self._prefix = prefix
        self._scan_interval = scan_interval
        self._block_ms = block_ms
        self._recover_timeout = recover_timeout
        self._recover_stable_for = recover_stable_for
        self._publish = self._redis.register_script(PUBLISH)
        self._renew = self._redis.register_script(RENEW)
        self._release = self._redis.register_script(RELEASE)
        self._owned: dict[str, tuple[str, asyncio.Task[None]]] = {}
        self._watcher: asyncio.Task[None] | None = None
        self._tails: dict[str, Tail] = {}
        self._closed = False

    # -- lifecycle -----------------------------------------------------------------------

    async def __aenter__(self) -> RedisRelay:
        self._ensure_watcher()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop reading upstream and release the leases, so another replica takes over at
        once (a deploy restart loses nothing); close the Redis client if made here."""
        if self._closed:
            return
        self._closed = True
        tasks = [t for t in (self._watcher,) if t is not None]
        tasks += [task for _, task in self._owned.values()]
        tasks += [t.task for t in self._tails.values() if t.task is not None]
        for task in tasks:
            task.cancel()
        with anyio.CancelScope(shield=True):
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            if self._owns_redis:
                await self._redis.aclose()

    async def _hgetall(self, key: str) -> dict[str, str]:
        raw = await self._redis.hgetall(key)
        return {text(k): text(v) for k, v in raw.items()}

    def _ensure_watcher(self) -> None:
        if self._watcher is None and not self._closed:
            self._watcher = asyncio.ensure_future(self._watch())

    def _sink(self, answer_id: str, token: str) -> Sink:
        return Sink(
            self._publish,
            self._keys(answer_id),
            answer_id,
            token,
            keep=self._keep,
            ttl_ms=self._ttl_ms,
            lease_ms=self._lease_ms,
        )

    def _keys(self, answer_id: str) -> list[str]:
        base = self._prefix + answer_id
        return [base + ":state", base + ":log", base + ":lease", self._prefix + "active"]

    # -- starting and owning -------------------------------------------------------------

    async def start(self, question: str, *, owner: str, **ask_args: Any) -> str:
        """Ask Ana ``question`` for ``owner`` once; returns the answer's random id at once.

        Raises :class:`RelayUnavailableError` when Redis cannot be reached (nothing was
        asked), ``ValueError``/``TypeError`` for bad arguments.
        """
        check_owner(owner)
        check_ask_args(question, ask_args)
        if self._closed:
            raise RuntimeError("the relay is closed")
        self._ensure_watcher()
        answer_id = new_answer_id()
        token = secrets.token_hex(16)
        state, _, lease, active = self._keys(answer_id)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(lease, token, nx=True, px=self._lease_ms)
                pipe.hset(state, mapping={"owner": owner, "seq": 0, "n": 0, "meta": "{}"})
                pipe.pexpire(state, self._ttl_ms)
                pipe.zadd(active, {answer_id: 0})
                await pipe.execute()
        except redis_errors() as exc:
            raise RelayUnavailableError(f"Redis is unavailable: {exc}") from exc
        self._own(
            answer_id,
            token,
            lambda sink: pump_upstream(
                self._client,
                question,
                ask_args,
                sink,
                recover_timeout=self._recover_timeout,
                recover_stable_for=self._recover_stable_for,
            ),
        )
        return answer_id

    def _own(
        self,
        answer_id: str,
        token: str,
        pump: Callable[[Sink], Coroutine[Any, Any, None]],
    ) -> None:
        """Run ``pump`` for an answer whose lease (``token``) this relay holds."""
        task = asyncio.ensure_future(
            self._run_owned(answer_id, token, pump(self._sink(answer_id, token)))
        )
        self._owned[answer_id] = (token, task)

    async def _run_owned(self, answer_id: str, token: str, pump: Coroutine[Any, Any, None]) -> None:
        state, log, lease, _ = self._keys(answer_id)
        work = asyncio.ensure_future(pump)
        try:
            while not work.done():
                await asyncio.wait({work}, timeout=self._lease_ms / 3000)
                if work.done():
                    break
                try:
                    held = await self._renew(
                        keys=[lease, state, log], args=[token, self._lease_ms, self._ttl_ms]
                    )
                except redis_errors():
                    continue  # the pump's next write retries, then gives up
                if not int(held):
                    break  # taken over: stop reading upstream
            if not work.done():
                work.cancel()
            (outcome,) = await asyncio.gather(work, return_exceptions=True)
            if isinstance(outcome, Exception) and not isinstance(outcome, stop_errors()):
                await self._fail_owned(answer_id, token, outcome)
        except asyncio.CancelledError:
            work.cancel()
            with anyio.CancelScope(shield=True):
                await asyncio.gather(work, return_exceptions=True)
                try:
                    await self._release(keys=[lease], args=[token])
                except redis_errors():
                    pass
            raise
        finally:
            if self._owned.get(answer_id, ("", None))[0] == token:
                del self._owned[answer_id]

    async def _fail_owned(self, answer_id: str, token: str, exc: BaseException) -> None:
        """A pump that failed outside the answer's own errors: end the answer with ``error``."""
        try:
            fields = await self._hgetall(self._keys(answer_id)[0])
            meta = json.loads(fields.get("meta", "{}"))
            wire = wire_blocks(fields)
            await self._sink(answer_id, token).publish(
                "error",
                error_data(exc, meta.get("chat_id"), wire),
                changed={},
                count=len(wire),
                meta=meta,
            )
        except stop_errors():
            pass  # nothing more can be done; the lease expires and the scan retries

    async def _try_takeover(self, answer_id: str) -> bool:
        """Take an unfinished answer whose lease expired; ``True`` if this relay now owns it."""
        if answer_id in self._owned or self._closed:
            return False
        state, _, lease, active = self._keys(answer_id)
        token = secrets.token_hex(16)
        if not await self._redis.set(lease, token, nx=True, px=self._lease_ms):
            return False
        fields = await self._hgetall(state)
        if not fields or "final" in fields:
            await self._release(keys=[lease], args=[token])
            await self._redis.zrem(active, answer_id)
            return False
        meta = json.loads(fields.get("meta", "{}"))
        wire = wire_blocks(fields)
        self._own(
            answer_id,
            token,
            lambda sink: pump_recovery(
                self._client,
                meta,
                wire,
                sink,
                recover_timeout=self._recover_timeout,
                recover_stable_for=self._recover_stable_for,
            ),
        )
        return True

    async def _watch(self) -> None:
        """Every ``scan_interval``: take over unfinished answers whose lease expired."""
        active = self._prefix + "active"
        # ``_closed`` is set before this task is cancelled: a cancellation that redis-py
        # turns into a ConnectionError (it disconnects on the way out) must still end it
        while not self._closed:
            await anyio.sleep(self._scan_interval)
            try:
                for member in await self._redis.zrange(active, 0, -1):
                    await self._try_takeover(text(member))
            except redis_errors():
                continue  # Redis down: try again next round

    # -- reading -------------------------------------------------------------------------

    async def state(self, answer_id: str, *, owner: str) -> AnswerState:
        """The answer's current state; :class:`AnswerNotFoundError` if it is not ``owner``'s,
        :class:`RelayUnavailableError` when Redis cannot be reached."""
        try:
            fields = await self._hgetall(self._keys(answer_id)[0])
        except redis_errors() as exc:
            raise RelayUnavailableError(f"Redis is unavailable: {exc}") from exc
        check_fields(fields, answer_id, owner)
        final = final_event(fields)
        meta = json.loads(fields.get("meta", "{}"))
        return state_from(
            answer_id, owner, int(fields["seq"]), meta.get("chat_id"), wire_blocks(fields), final
        )

    def events(
        self, answer_id: str, *, owner: str, after: int | None = None
    ) -> AsyncIterator[RelayEvent]:
        """The answer's events after ``after``, from whichever replica wrote them; a
        ``snapshot`` first for a new reader or one further behind than the log keeps.
        Ends after ``done``/``error``; Redis down gives an ``error`` event. Raises
        :class:`AnswerNotFoundError` on the first iteration when it is not ``owner``'s."""
        return self._events(answer_id, owner, after)

    async def _events(
        self, answer_id: str, owner: str, after: int | None
    ) -> AsyncIterator[RelayEvent]:
        self._ensure_watcher()
        state_key, log_key, _, _ = self._keys(answer_id)
        cursor = after
        chat_id: str | None = None
        wire: list[Wire] = []
        checked = False
        tail: Tail | None = None
        try:
            while True:
                try:
                    if cursor is None or not checked:
                        fields = await self._hgetall(state_key)
                        check_fields(fields, answer_id, owner)
                        checked = True
                        final = final_event(fields)
                        if final is not None and cursor is not None and cursor == final.seq:
                            return
                        if cursor is None or cursor > int(fields["seq"]):
                            snapshot = snapshot_event(fields, final)
                            chat_id, wire = snapshot.data["chat_id"], list(snapshot.data["blocks"])
                            cursor = snapshot.seq
                            yield snapshot
                            if final is not None:
                                yield final
                                return
                        continue
                    if tail is None:
                        tail = self._join_tail(answer_id, cursor)
                    waiter = tail.changed
                    found = tail.after(cursor)
                    if found is False:  # older than the tail keeps: catch up from the log
                        missed = await self._catch_up(log_key, cursor, tail.first - 1)
                        if missed is None:
                            cursor = None  # the log no longer has it: a fresh snapshot
                            continue
                        for event in missed:
                            chat_id, wire = apply_event(event, chat_id, wire)
                            cursor = event.seq
                            yield event
                            if event.terminal:
                                return
                        continue
                    if not isinstance(found, RelayEvent):
                        if tail.failure is not None:
                            failure = tail.failure
                            yield RelayEvent(cursor, "error", error_data(failure, chat_id, wire))
                            return
                        if tail.task is not None and tail.task.done():
                            self._leave_tail(tail)  # it ended without this reader's event
                            tail = None
                            cursor, checked = cursor, False
                            continue
                        await waiter.wait()
                        continue
                    chat_id, wire = apply_event(found, chat_id, wire)
                    cursor = found.seq
                    yield found
                    if found.terminal:
                        return
                except redis_errors() as exc:
                    if not checked:
                        # ownership could not be checked: reveal nothing but the outage
                        chat_id, wire = None, []
                    failure = RelayUnavailableError(f"Redis is unavailable: {exc}")
                    yield RelayEvent(cursor or 0, "error", error_data(failure, chat_id, wire))
                    return
        finally:
            if tail is not None:
                self._leave_tail(tail)

    def _join_tail(self, answer_id: str, cursor: int) -> Tail:
        """This process's shared reader of the answer's stream (started when missing)."""
        tail = self._tails.get(answer_id)
        if tail is None or tail.failure is not None or (tail.task is not None and tail.task.done()):
            tail = Tail(
                self._redis,
                answer_id,
                self._keys(answer_id),
                cursor,
                keep=self._keep,
                block_ms=self._block_ms,
                hgetall=self._hgetall,
                takeover=self._try_takeover,
                errors=redis_errors(),
            )
            tail.task = asyncio.ensure_future(tail.run())
            self._tails[answer_id] = tail
        tail.readers += 1
        return tail

    def _leave_tail(self, tail: Tail) -> None:
        tail.readers -= 1
        if tail.readers <= 0:
            if tail.task is not None and not tail.task.done():
                tail.task.cancel()
            if self._tails.get(tail.answer_id) is tail:
                del self._tails[tail.answer_id]

    async def _catch_up(self, log_key: str, cursor: int, upto: int) -> list[RelayEvent] | None:
        """The events ``cursor + 1 .. upto`` from the log itself, or ``None`` if it lost some."""
        if upto <= cursor:
            return []
        reply = await self._redis.xrange(log_key, f"{cursor + 1}-0", f"{upto}-0")
        events = [event_of(entry_id, values) for entry_id, values in entries_of(reply)]
        if [e.seq for e in events] != list(range(cursor + 1, upto + 1)):
            return None
        return events
