"""Drop recovery: when an Ana stream breaks, fetch the finished answer from the chat history.

Ana keeps working server-side when our connection drops, so an answer whose
stream broke after ``chatId`` arrived is still written to the chat. We poll
``GET /api/ana/{chat_id}`` with backoff until the assistant message is there
and stable (the same body on two consecutive polls), and return it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio

from textql_async._exceptions import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
)
from textql_async.models.ana import AnaResult, Block, ChatMessage, ErrorBlock
from textql_async.sansio.fold import Snapshot, last_text

__all__ = ["recover_answer"]

_FIRST_DELAY = 0.1
_MAX_DELAY = 2.0

FetchMessages = Callable[[str], Awaitable[list[ChatMessage]]]


async def recover_answer(
    fetch: FetchMessages, snapshot: Snapshot, *, timeout: float
) -> AnaResult | None:
    """The finished answer from the chat history, or ``None`` if it could not be had in time.

    Auth errors and a missing chat end recovery at once; transient errors are retried.
    """
    chat_id = snapshot.chat_id
    if chat_id is None:
        return None
    deadline = anyio.current_time() + timeout
    delay = _FIRST_DELAY
    previous: list[Block] | None = None
    while True:
        try:
            messages = await fetch(chat_id)
        except (AuthenticationError, PermissionDeniedError, NotFoundError):
            return None
        except (APIError, APIConnectionError):
            messages = []
        message = _assistant_message(messages, snapshot.assistant_msg_id)
        if message is not None and message.body:
            if previous is not None and message.body == previous:
                return _result(snapshot, message, messages)
            previous = message.body
        if anyio.current_time() + delay > deadline:
            return None
        await anyio.sleep(delay)
        delay = min(delay * 2, _MAX_DELAY)


def _assistant_message(messages: list[ChatMessage], assistant_msg_id: int | None) -> ChatMessage | None:
    if assistant_msg_id is not None:
        for message in messages:
            if message.inner_id == assistant_msg_id:
                return message
    for message in reversed(messages):
        if message.is_assistant:
            return message
    return None


def _user_message_id(messages: list[ChatMessage], assistant: ChatMessage) -> int | None:
    """The id of the user message the assistant message answers (the one just before it)."""
    previous: ChatMessage | None = None
    for message in messages:
        if message is assistant:
            break
        previous = message
    if previous is not None and not previous.is_assistant:
        return previous.inner_id
    return None


def _result(snapshot: Snapshot, message: ChatMessage, messages: list[ChatMessage]) -> AnaResult:
    blocks = tuple(message.body)
    user_msg_id = snapshot.user_msg_id
    if user_msg_id is None:
        user_msg_id = _user_message_id(messages, message)
    return AnaResult(
        chat_id=snapshot.chat_id,
        user_msg_id=user_msg_id,
        assistant_msg_id=snapshot.assistant_msg_id
        if snapshot.assistant_msg_id is not None
        else message.inner_id,
        blocks=blocks,
        answer=last_text(blocks),
        errors=tuple(b for b in blocks if isinstance(b, ErrorBlock)),
        recovered=True,
    )
