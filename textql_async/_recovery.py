"""Drop recovery: finish a broken Ana answer from the chat history, never asking Ana again.

Ana keeps working server-side when our connection drops, so an answer whose
stream broke after ``chatId`` arrived is still written to the chat. This loop polls
``GET /api/ana/{chat_id}`` with backoff (0.1 s doubling to at most 2 s, and never
past the deadline) and hands each read to the pure rule in
:mod:`textql_async.sansio.completion`, which alone decides when the answer is
complete. Without that evidence by the deadline it raises
:class:`~textql_async.RecoveryTimeoutError` carrying the best state known; it never
returns a partial answer. Missing credentials or a missing chat (401, 403, 404)
end recovery at once; every other failure to read the history is retried.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable

import anyio

from textql_async._exceptions import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    RecoveryTimeoutError,
)
from textql_async.models.ana import AnaResult, ChatMessage
from textql_async.sansio.completion import (
    DEFAULT_RECOVER_STABLE_FOR,
    CompletionDecision,
    decide_completion,
)
from textql_async.sansio.fold import Snapshot

__all__ = ["FetchMessages", "check_recovery_arguments", "recover_answer"]

_FIRST_DELAY = 0.1
_MAX_DELAY = 2.0
_LAST_READ_GRACE = 0.5  # a read started at the deadline may take this long
_FATAL = (AuthenticationError, PermissionDeniedError, NotFoundError)

FetchMessages = Callable[[str], Awaitable[list[ChatMessage]]]
"""Reads the messages of one chat (``client.ana.chat_messages`` without retries)."""


def check_recovery_arguments(timeout: float, stable_for: float | None) -> float:
    """Validate ``recover_timeout`` / ``recover_stable_for``; returns the stability window."""
    if stable_for is None and type(timeout) is float and 0.0 <= timeout < math.inf:
        return DEFAULT_RECOVER_STABLE_FOR  # the defaults, on every ask(): nothing to check
    for name, value in (("recover_timeout", timeout), ("recover_stable_for", stable_for)):
        if value is None and name == "recover_stable_for":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{name} must be a number of seconds")
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number of seconds >= 0, got {value!r}")
    return DEFAULT_RECOVER_STABLE_FOR if stable_for is None else float(stable_for)


async def recover_answer(
    fetch: FetchMessages,
    chat_id: str,
    snapshot: Snapshot,
    *,
    timeout: float,
    stable_for: float = DEFAULT_RECOVER_STABLE_FOR,
) -> AnaResult:
    """The complete answer in chat ``chat_id``, proven by the completion rule.

    ``snapshot`` is what the stream delivered (the lower bound). Raises
    :class:`RecoveryTimeoutError` when no proof came within ``timeout`` seconds, and
    the :class:`APIError` itself for 401, 403 and 404.
    """
    deadline = anyio.current_time() + timeout
    delay = _FIRST_DELAY
    cap = min(_MAX_DELAY, max(_FIRST_DELAY, stable_for / 2))
    decision: CompletionDecision | None = None
    failure: APIError | APIConnectionError | None = None
    while True:
        messages: list[ChatMessage] | None = None
        sent_at = anyio.current_time()
        with anyio.move_on_after(max(deadline - anyio.current_time(), _LAST_READ_GRACE)):
            try:
                messages = await fetch(chat_id)
            except _FATAL:
                raise
            except (APIError, APIConnectionError) as exc:
                failure = exc
        if messages is not None:
            failure = None
            decision = decide_completion(
                snapshot,
                messages,
                anyio.current_time(),
                sent_at=sent_at,
                stable_for=stable_for,
                previous=decision,
            )
            if decision.complete:
                return decision.result()
        now = anyio.current_time()
        if now >= deadline:
            break
        wait = min(delay, deadline - now)
        if decision is not None and decision.stable_since is not None:
            due = decision.stable_since + stable_for - now
            if 0 < due < wait:
                wait = due  # read again as soon as the window may have passed
        await anyio.sleep(wait)
        delay = min(delay * 2, cap)
    raise _timeout_error(chat_id, snapshot, decision, failure, timeout)


def _timeout_error(
    chat_id: str,
    snapshot: Snapshot,
    decision: CompletionDecision | None,
    failure: APIError | APIConnectionError | None,
    timeout: float,
) -> RecoveryTimeoutError:
    if failure is not None:
        reason = f"the chat history could not be read ({type(failure).__name__}: {failure})"
    elif decision is not None:
        reason = decision.reason
    else:
        reason = "the chat history was never read"
    best = decision.snapshot if decision is not None else snapshot
    error = RecoveryTimeoutError(
        f"the answer in chat {chat_id!r} was not proven complete within {timeout:g} s: {reason}",
        snapshot=best,
        reason=reason,
        chat_id=chat_id,
    )
    error.__cause__ = failure
    return error
