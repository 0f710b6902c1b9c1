"""Reading one answer upstream and turning it into relay events (shared by both backends).

The pump knows nothing about storage: it hands each step to a :class:`Sink`, which
numbers it, stores it and wakes the readers. Two entry points: :func:`pump_upstream`
(the replica that started the answer reads Ana's stream) and :func:`pump_recovery`
(a replica that took the answer over finishes it from the chat history - it never
asks Ana again).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Protocol

from textql_async._exceptions import APITimeoutError, StreamError
from textql_async.models.ana import AnaResult, block_to_builtins
from textql_async.relay._events import (
    AnswerLostError,
    blocks_from_wire,
    blocks_to_wire,
    error_data,
    wire_answer,
)
from textql_async.sansio.fold import Snapshot

if TYPE_CHECKING:
    from textql_async._client import AsyncTextQL

__all__ = ["Sink", "meta_of", "pump_recovery", "pump_upstream"]

Wire = dict[str, Any]


class Sink(Protocol):
    """Where a pump writes: one call per relay event, applied atomically by the backend.

    ``changed`` maps slot index to wire block (the new state of those slots), ``count`` is
    the number of slots after the step, ``meta`` the chat/message ids known so far.
    """

    async def publish(
        self,
        kind: str,
        data: dict[str, Any],
        *,
        changed: dict[int, Wire],
        count: int,
        meta: dict[str, Any],
    ) -> None: ...


def meta_of(snapshot: Snapshot) -> dict[str, Any]:
    """The ids recovery needs to find the answer in the chat history."""
    return {
        "chat_id": snapshot.chat_id,
        "user_msg_id": snapshot.user_msg_id,
        "assistant_msg_id": snapshot.assistant_msg_id,
    }


async def pump_upstream(
    client: AsyncTextQL,
    question: str,
    ask_args: dict[str, Any],
    sink: Sink,
    *,
    recover_timeout: float,
    recover_stable_for: float | None = None,
) -> None:
    """Ask Ana once and publish every change, then ``done`` (or ``error``).

    A stream that breaks after its chat id arrived is finished from the chat history.
    Errors of the sink itself (storage down) propagate: the caller decides.
    """
    wire: list[Wire] = []
    stream = client.ana.stream(question, **ask_args)
    failure: BaseException | None = None
    async with contextlib.AsyncExitStack() as stack:
        try:
            await stack.enter_async_context(stream)
        except Exception as exc:  # refused before any event (auth, 4xx, unreachable)
            failure = exc
        while failure is None:
            try:
                updates = await stream._next_updates(True)
            except Exception as exc:
                failure = exc
                break
            if updates is None:
                break
            changed: dict[int, Wire] = {}
            for update in updates:
                changed[update.index] = block_to_builtins(update.block)
            for index in sorted(changed):
                if index < len(wire):
                    wire[index] = changed[index]
                else:
                    wire.append(changed[index])
            await sink.publish(
                "update",
                {
                    "chat_id": stream.chat_id,
                    "blocks": [{"index": i, "block": changed[i]} for i in sorted(changed)],
                },
                changed=changed,
                count=len(wire),
                meta=meta_of(stream.snapshot),
            )
    snapshot = stream.snapshot
    if failure is None:
        await _publish_done(sink, snapshot.chat_id, blocks_to_wire(snapshot.blocks), meta_of(snapshot))
        return
    recoverable = isinstance(failure, (StreamError, APITimeoutError)) and failure.recoverable
    if recoverable and snapshot.chat_id is not None and not client.is_closed:
        await _finish_from_history(client, snapshot, sink, recover_timeout, recover_stable_for)
        return
    await _publish_error(sink, failure, snapshot.chat_id, wire, meta_of(snapshot))


async def pump_recovery(
    client: AsyncTextQL,
    meta: dict[str, Any],
    wire: list[Wire],
    sink: Sink,
    *,
    recover_timeout: float,
    recover_stable_for: float | None = None,
) -> None:
    """Finish an answer another replica started, from the chat history (never re-asking)."""
    chat_id = meta.get("chat_id")
    if not isinstance(chat_id, str) or not chat_id:
        lost = AnswerLostError(
            "the replica reading this answer stopped before Ana sent its chat id; "
            "it cannot be finished without asking again"
        )
        await _publish_error(sink, lost, None, wire, meta)
        return
    snapshot = Snapshot(
        blocks=tuple(blocks_from_wire(wire)),
        chat_id=chat_id,
        user_msg_id=_int_or_none(meta.get("user_msg_id")),
        assistant_msg_id=_int_or_none(meta.get("assistant_msg_id")),
    )
    await _finish_from_history(client, snapshot, sink, recover_timeout, recover_stable_for)


async def recover(
    client: AsyncTextQL, snapshot: Snapshot, *, timeout: float, stable_for: float | None
) -> AnaResult:
    """The finished answer from the chat history (``client.ana.recover``); raises a typed
    error with ``.snapshot`` (:class:`~textql_async.RecoveryTimeoutError`) without proof."""
    assert snapshot.chat_id is not None
    return await client.ana.recover(
        snapshot.chat_id, snapshot=snapshot, timeout=timeout, stable_for=stable_for
    )


async def _finish_from_history(
    client: AsyncTextQL,
    snapshot: Snapshot,
    sink: Sink,
    timeout: float,
    stable_for: float | None,
) -> None:
    meta = meta_of(snapshot)
    try:
        result = await recover(client, snapshot, timeout=timeout, stable_for=stable_for)
    except Exception as exc:
        best = getattr(exc, "snapshot", None)  # the stream merged with the newest history
        if not isinstance(best, Snapshot):
            best = snapshot
        await _publish_error(sink, exc, snapshot.chat_id, blocks_to_wire(best.blocks), meta)
        return
    meta = {
        "chat_id": result.chat_id,
        "user_msg_id": result.user_msg_id,
        "assistant_msg_id": result.assistant_msg_id,
    }
    await _publish_done(sink, result.chat_id, blocks_to_wire(result.blocks), meta)


async def _publish_done(
    sink: Sink, chat_id: str | None, final: list[Wire], meta: dict[str, Any]
) -> None:
    await sink.publish(
        "done",
        {"chat_id": chat_id, "answer": wire_answer(final), "blocks": final},
        changed=dict(enumerate(final)),
        count=len(final),
        meta=meta,
    )


async def _publish_error(
    sink: Sink,
    exc: BaseException,
    chat_id: str | None,
    wire: list[Wire],
    meta: dict[str, Any],
) -> None:
    await sink.publish(
        "error", error_data(exc, chat_id, list(wire)), changed={}, count=len(wire), meta=meta
    )


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
