"""The in-process relay: one replica's answers as bounded logs in memory.

For a single replica and for tests; it keeps nothing across restarts. Memory per
answer is bounded: the last ``keep`` events (each holds only the blocks that changed
in it, the final ``done`` holds every block) plus one copy of the current blocks.
A finished answer is dropped ``ttl`` seconds after it ended. A reader is a cursor
into the log, never a queue: a reader that falls further behind than ``keep`` gets a
fresh ``snapshot`` and goes on from there, so slow readers cost nothing.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio

from textql_async.relay._events import (
    AnswerNotFoundError,
    AnswerState,
    RelayEvent,
    RelayUnavailableError,
    error_data,
    new_answer_id,
    state_data,
    state_from,
)
from textql_async.relay._pump import Wire, pump_upstream
from textql_async.resources.ana import ana_params

if TYPE_CHECKING:
    from textql_async._client import AsyncTextQL

__all__ = ["InMemoryRelay", "check_ask_args"]

_STREAM_ARGS = frozenset(
    {
        "dataset",
        "use_ontology",
        "ontology_connector_id",
        "clifford",
        "timeout",
        "max_retries",
        "max_event_size",
    }
)


def check_ask_args(question: str, ask_args: dict[str, Any]) -> None:
    """Reject a bad question or argument here, before anything is started."""
    unknown = sorted(set(ask_args) - _STREAM_ARGS)
    if unknown:
        raise TypeError(f"unexpected ask arguments: {', '.join(unknown)}")
    ana_params(
        question,
        dataset=ask_args.get("dataset"),
        use_ontology=ask_args.get("use_ontology", False),
        ontology_connector_id=ask_args.get("ontology_connector_id"),
        clifford=ask_args.get("clifford", False),
    )


def check_owner(owner: str) -> None:
    """An owner is a non-empty string (a user or tenant id)."""
    if not isinstance(owner, str) or not owner:
        raise ValueError("owner must be a non-empty string (a user or tenant id)")


class _Answer:
    """One answer's bounded log and current state."""

    def __init__(self, answer_id: str, owner: str, keep: int) -> None:
        self.answer_id = answer_id
        self.owner = owner
        self.log: deque[RelayEvent] = deque(maxlen=keep)
        self.seq = 0
        self.wire: list[Wire] = []
        self.chat_id: str | None = None
        self.terminal: RelayEvent | None = None
        self.changed = anyio.Event()
        self.task: asyncio.Task[None] | None = None

    async def publish(
        self,
        kind: str,
        data: dict[str, Any],
        *,
        changed: dict[int, Wire],
        count: int,
        meta: dict[str, Any],
    ) -> None:
        if self.terminal is not None:
            return
        self.seq += 1
        event = RelayEvent(self.seq, kind, data)  # type: ignore[arg-type]
        for index in sorted(changed):
            if index < len(self.wire):
                self.wire[index] = changed[index]
            else:
                self.wire.append(changed[index])
        del self.wire[count:]
        self.chat_id = meta.get("chat_id") or self.chat_id
        self.log.append(event)
        if event.terminal:
            self.terminal = event
        waiters, self.changed = self.changed, anyio.Event()
        waiters.set()

    def snapshot(self) -> RelayEvent:
        """The whole state; for a finished answer, as of just before its terminal event."""
        seq = self.seq if self.terminal is None else self.terminal.seq - 1
        return RelayEvent(seq, "snapshot", state_data(self.chat_id, list(self.wire)))

    def after(self, cursor: int) -> RelayEvent | bool | None:
        """The event right after ``cursor``; ``None`` if not there yet; ``False`` if not kept."""
        if cursor == self.seq:
            return None
        if not self.log or cursor > self.seq:
            return False
        position = cursor + 1 - self.log[0].seq
        if position < 0:
            return False
        return self.log[position]


class InMemoryRelay:
    """Answers as resumable logs in this process (one replica; tests).

    ``async with InMemoryRelay(client) as relay:`` then ``answer_id = await
    relay.start(question, owner=user)`` and ``async for event in relay.events(answer_id,
    owner=user, after=last_seq)``. Each answer asks Ana once however many readers it has.
    Bounds per answer: ``keep`` events plus the current blocks; finished answers are
    forgotten ``ttl`` seconds after they ended. ``recover_timeout`` and ``recover_stable_for`` are
    ``client.ana.recover``'s, for finishing a broken stream from the chat history. Leaving the ``async with`` stops every answer
    still running (its readers get an ``error`` event).
    """

    def __init__(
        self,
        client: AsyncTextQL,
        *,
        keep: int = 256,
        ttl: float = 600.0,
        recover_timeout: float = 120.0,
        recover_stable_for: float | None = None,
    ) -> None:
        if keep < 1:
            raise ValueError("keep must be at least 1")
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        self._client = client
        self._keep = keep
        self._ttl = ttl
        self._recover_timeout = recover_timeout
        self._recover_stable_for = recover_stable_for
        self._answers: dict[str, _Answer] = {}
        self._expiry: deque[tuple[float, str]] = deque()
        self._closed = False

    async def __aenter__(self) -> InMemoryRelay:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop every answer still being read upstream; their readers get an ``error``."""
        self._closed = True
        tasks = [a.task for a in self._answers.values() if a.task is not None and not a.task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            with anyio.CancelScope(shield=True):
                await asyncio.gather(*tasks, return_exceptions=True)

    async def start(self, question: str, *, owner: str, **ask_args: Any) -> str:
        """Ask Ana ``question`` for ``owner`` once; returns the answer's random id at once.

        Bad arguments raise ``ValueError``/``TypeError`` here and start nothing.
        """
        check_owner(owner)
        check_ask_args(question, ask_args)
        if self._closed:
            raise RuntimeError("the relay is closed")
        self._purge()
        answer_id = new_answer_id()
        answer = _Answer(answer_id, owner, self._keep)
        self._answers[answer_id] = answer
        answer.task = asyncio.ensure_future(self._run(answer, question, ask_args))
        return answer_id

    async def _run(self, answer: _Answer, question: str, ask_args: dict[str, Any]) -> None:
        try:
            await pump_upstream(
                self._client, question, ask_args, answer, recover_timeout=self._recover_timeout,
                recover_stable_for=self._recover_stable_for,
            )
        except asyncio.CancelledError:
            await _fail(answer, RelayUnavailableError("the relay was closed before the answer finished"))
            raise
        except Exception as exc:  # pragma: no cover - the pump turns answer errors into events
            await _fail(answer, exc)
        finally:
            if answer.terminal is None:  # pragma: no cover - defensive
                await _fail(answer, RuntimeError("the answer ended without a final event"))
            self._expiry.append((anyio.current_time() + self._ttl, answer.answer_id))

    def _purge(self) -> None:
        now = anyio.current_time()
        while self._expiry and self._expiry[0][0] <= now:
            _, answer_id = self._expiry.popleft()
            self._answers.pop(answer_id, None)

    def _get(self, answer_id: str, owner: str) -> _Answer:
        self._purge()
        answer = self._answers.get(answer_id) if isinstance(answer_id, str) else None
        if answer is None or answer.owner != owner:
            raise AnswerNotFoundError(str(answer_id))
        return answer

    async def state(self, answer_id: str, *, owner: str) -> AnswerState:
        """The answer's current state; :class:`AnswerNotFoundError` if it is not ``owner``'s."""
        a = self._get(answer_id, owner)
        return state_from(a.answer_id, a.owner, a.seq, a.chat_id, list(a.wire), a.terminal)

    def events(
        self, answer_id: str, *, owner: str, after: int | None = None
    ) -> AsyncIterator[RelayEvent]:
        """The answer's events after ``after``; a ``snapshot`` first for a new reader or one
        further behind than the log keeps. Ends after ``done``/``error``. Raises
        :class:`AnswerNotFoundError` on the first iteration when it is not ``owner``'s."""
        return self._events(answer_id, owner, after)

    async def _events(self, answer_id: str, owner: str, after: int | None) -> AsyncIterator[RelayEvent]:
        answer = self._get(answer_id, owner)
        cursor = after
        while True:
            waiter = answer.changed
            if cursor is None:
                snapshot = answer.snapshot()
                cursor = snapshot.seq
                yield snapshot
                continue
            if answer.terminal is not None and cursor == answer.terminal.seq:
                return
            event = answer.after(cursor)
            if event is False:
                cursor = None  # fell behind what is kept (or a bogus id): start over
                continue
            if event is None:
                await waiter.wait()
                continue
            assert isinstance(event, RelayEvent)
            cursor = event.seq
            yield event
            if event.terminal:
                return


async def _fail(answer: _Answer, exc: BaseException) -> None:
    if answer.terminal is None:
        await answer.publish(
            "error",
            error_data(exc, answer.chat_id, list(answer.wire)),
            changed={},
            count=len(answer.wire),
            meta={"chat_id": answer.chat_id},
        )
