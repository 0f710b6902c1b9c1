"""When is a recovered Ana answer complete? The rule, as a pure function (no I/O, no clock).

A stream that broke leaves a snapshot (the lower bound of the answer); the chat
history (``GET /api/ana/{chat_id}``) shows the assistant message as Ana writes it,
partial while she works. :func:`decide_completion` judges one history read, given
the stream's snapshot, the time of the read and the previous decision. The rule,
checked in this order:

1. **No assistant message** (or an empty one) - wait.
2. **Behind the stream** - the stream is a lower bound: a body that lacks a streamed
   block, has fewer blocks, or holds a block shorter than its streamed version (less
   text or code, fewer Python results, an Ontology result no longer ``complete``) is an
   older copy - wait.
3. **A later message in the chat** (the next user message, or a next assistant
   message) proves the answer ended - complete, whatever it looks like.
4. **Structural signs of unfinished work** - a ``PythonBlock`` without ``results`` (the
   docs: results are "only present when code execution is complete"), an
   ``OntologyBlock`` whose result is not ``complete``, or a last block that is not a
   ``TextBlock`` or ``ErrorBlock`` (Ana ends on her answer or an error) - wait.
5. **Stability** - otherwise the body must stay unchanged for ``stable_for`` seconds
   (from the answer to the first read that showed it to the sending of a later read).
   Two equal reads a moment apart are not evidence: Ana is silent while her model plans
   the next step.

:data:`DEFAULT_RECOVER_STABLE_FOR` is 30 s. The long silences of real work (a Python cell
running, an Ontology query) are caught by rule 4, so the window only has to outlast
the pause after a finished TextBlock while Ana's model decides its next step - seconds
normally, tens of seconds in the tail. 30 s covers that tail and still leaves three
quarters of the default 120 s ``recover_timeout`` for a lagging history to catch up.

Fold the decisions over successive reads (``previous=``); the polling loop lives in
``textql_async._recovery`` and the result of a complete decision is :meth:`CompletionDecision.result`.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from textql_async.models.ana import (
    AnaResult,
    Block,
    ChatMessage,
    ErrorBlock,
    OntologyBlock,
    PythonBlock,
    TextBlock,
    UnknownBlock,
    encode_block,
)
from textql_async.sansio.fold import Snapshot, last_text
from textql_async.sansio.slots import OrderedSlots

__all__ = [
    "DEFAULT_RECOVER_STABLE_FOR",
    "CompletionDecision",
    "decide_completion",
    "merge_snapshot",
]

DEFAULT_RECOVER_STABLE_FOR = 30.0
"""Seconds an assistant message must stay unchanged, absent other evidence (see the module doc)."""


class CompletionDecision(msgspec.Struct, frozen=True):
    """The verdict on one chat history read.

    ``complete`` is true only when the rule is met; ``reason`` says which part of the
    rule decided (or what is awaited). ``snapshot`` is the best state known: the
    stream's snapshot merged with the newest history body. ``body`` is the assistant
    body judged (``None`` when there was none) and ``stable_since`` the time it was
    first seen unchanged; pass the decision back as ``previous=`` for the next read.
    """

    complete: bool
    reason: str
    snapshot: Snapshot
    body: tuple[Block, ...] | None = None
    stable_since: float | None = None

    def result(self) -> AnaResult:
        """The recovered :class:`AnaResult`; ``ValueError`` unless the decision is complete."""
        if not self.complete:
            raise ValueError(f"the answer is not known to be complete: {self.reason}")
        snap = self.snapshot
        return AnaResult(
            chat_id=snap.chat_id,
            user_msg_id=snap.user_msg_id,
            assistant_msg_id=snap.assistant_msg_id,
            blocks=snap.blocks,
            answer=last_text(snap.blocks),
            errors=tuple(b for b in snap.blocks if isinstance(b, ErrorBlock)),
            recovered=True,
        )


def decide_completion(
    snapshot: Snapshot,
    messages: Sequence[ChatMessage],
    now: float,
    *,
    sent_at: float | None = None,
    stable_for: float = DEFAULT_RECOVER_STABLE_FOR,
    previous: CompletionDecision | None = None,
) -> CompletionDecision:
    """Judge whether the chat history read at time ``now`` holds the complete answer.

    ``snapshot`` is what the stream delivered (``Snapshot()`` or one with only
    ``chat_id`` when nothing is known); ``messages`` the chat's messages, oldest first;
    ``previous`` the decision on the previous read (for the stability window).

    ``now`` is when the read's answer arrived and ``sent_at`` (default ``now``) when it
    was sent. A body counts as stable from the arrival of the first read that showed it
    to the sending of the latest: the server answered both within that span, so slow
    reads never stretch a short stability into a long one. ``stable_for <= 0`` accepts a
    body at first sight (when nothing else says the answer goes on).
    """
    if snapshot.done:
        return CompletionDecision(True, "the stream delivered done", snapshot, snapshot.blocks)
    found = find_answer(messages, snapshot)
    if found is None:
        return _wait("no assistant message in the history yet", snapshot)
    position, message = found
    merged = merge_snapshot(snapshot, message, messages)
    body = tuple(message.body)
    if not body:
        return _wait("the assistant message is still empty", merged)
    behind = _behind(snapshot.blocks, body)
    if behind is not None:
        return _wait(f"the history is behind the stream ({behind})", merged)
    complete = _with_blocks(merged, body)
    if position + 1 < len(messages):
        return CompletionDecision(True, "a later message in the chat", complete, body, now)
    if previous is not None and previous.body == body and previous.stable_since is not None:
        since = previous.stable_since
    else:
        since = now
    unfinished = unfinished_work(body)
    if unfinished is not None:
        return CompletionDecision(False, unfinished, merged, body, since)
    stable = max(0.0, (now if sent_at is None else sent_at) - since)
    if stable_for <= 0 or stable >= stable_for:
        reason = f"unchanged for {stable:.3g} s (stable_for={stable_for:g})"
        return CompletionDecision(True, reason, complete, body, since)
    reason = f"unchanged for {stable:.3g} s of the {stable_for:g} s stability window"
    return CompletionDecision(False, reason, merged, body, since)


def unfinished_work(body: Sequence[Block]) -> str | None:
    """Why ``body`` shows Ana still working (rule 4), or ``None`` when nothing does."""
    for block in body:
        if isinstance(block, PythonBlock) and block.results is None:
            return f"PythonBlock {block.id!r} has no results yet"
        if isinstance(block, OntologyBlock) and not _ontology_complete(block):
            return f"OntologyBlock {block.id!r} is not complete yet"
    if not isinstance(body[-1], (TextBlock, ErrorBlock)):
        return f"the last block is a {_tag(body[-1])}, not a TextBlock or ErrorBlock"
    return None


def find_answer(
    messages: Sequence[ChatMessage], snapshot: Snapshot
) -> tuple[int, ChatMessage] | None:
    """The assistant message answering the streamed question, with its position.

    By ``assistant_msg_id`` when known; else the first assistant message after the
    user message ``user_msg_id``; else the first assistant message (``GET /api/ana``
    starts a new chat, so its first question is ours).
    """
    if snapshot.assistant_msg_id is not None:
        for i, message in enumerate(messages):
            if message.is_assistant and message.inner_id == snapshot.assistant_msg_id:
                return i, message
    start = 0
    if snapshot.user_msg_id is not None:
        for i, message in enumerate(messages):
            if not message.is_assistant and message.inner_id == snapshot.user_msg_id:
                start = i + 1
                break
    for i in range(start, len(messages)):
        if messages[i].is_assistant:
            return i, messages[i]
    return None


def merge_snapshot(
    snapshot: Snapshot, message: ChatMessage | None, messages: Sequence[ChatMessage] = ()
) -> Snapshot:
    """The stream's snapshot upgraded by a history body: the longer version of each block.

    Streamed blocks keep their order; history blocks the stream never showed follow.
    A history block replaces its streamed version only when it covers it, so nothing
    the stream delivered is ever lost. ``done`` stays false.
    """
    if message is None:
        return snapshot
    slots: OrderedSlots[Block] = OrderedSlots()
    for block in snapshot.blocks:
        slots.put(block.id, block)
    anonymous = sum(1 for b in snapshot.blocks if b.id is None)
    for block in message.body:
        if block.id is None:
            anonymous -= 1
            if anonymous < 0:
                slots.put(None, block)
            continue
        index = slots.index_of(block.id)
        if index is None or _covers(block, slots.items[index]):
            slots.put(block.id, block)
    user_msg_id = snapshot.user_msg_id
    if user_msg_id is None:
        user_msg_id = _user_message_id(messages, message)
    assistant_msg_id = snapshot.assistant_msg_id
    if assistant_msg_id is None:
        assistant_msg_id = message.inner_id
    return Snapshot(
        tuple(slots.items),
        snapshot.chat_id if snapshot.chat_id is not None else message.chat_id,
        user_msg_id,
        assistant_msg_id,
        False,
    )


def _with_blocks(snapshot: Snapshot, blocks: tuple[Block, ...]) -> Snapshot:
    return Snapshot(blocks, snapshot.chat_id, snapshot.user_msg_id, snapshot.assistant_msg_id, True)


def _wait(reason: str, snapshot: Snapshot) -> CompletionDecision:
    """Not complete, with no body to keep stable (the window starts again)."""
    return CompletionDecision(False, reason, snapshot, None, None)


def _behind(streamed: Sequence[Block], body: Sequence[Block]) -> str | None:
    """What makes ``body`` an older copy than the stream's blocks, or ``None``."""
    if len(body) < len(streamed):
        return f"{len(body)} blocks, the stream had {len(streamed)}"
    by_id = {b.id: b for b in body if b.id is not None}
    for block in streamed:
        if block.id is None:
            continue
        copy = by_id.get(block.id)
        if copy is None:
            return f"block {block.id!r} is missing"
        if not _covers(copy, block):
            return f"block {block.id!r} is shorter than its streamed version"
    anonymous = sum(1 for b in streamed if b.id is None)
    if sum(1 for b in body if b.id is None) < anonymous:
        return "an id-less block the stream had is missing"
    return None


def _covers(newer: Block, older: Block) -> bool:
    """Whether ``newer`` is the same block as ``older`` or a later version of it."""
    if newer == older:
        return True
    if type(newer) is not type(older):
        return False
    if isinstance(newer, (TextBlock, ErrorBlock)):
        assert isinstance(older, (TextBlock, ErrorBlock))
        return len(newer.contents) >= len(older.contents)
    if isinstance(newer, PythonBlock):
        assert isinstance(older, PythonBlock)
        if len(newer.contents) < len(older.contents):
            return False
        return older.results is None or len(newer.results or ()) >= len(older.results)
    if isinstance(newer, OntologyBlock):
        assert isinstance(older, OntologyBlock)
        return _ontology_complete(newer) or not _ontology_complete(older)
    return len(encode_block(newer)) >= len(encode_block(older))


def _ontology_complete(block: OntologyBlock) -> bool:
    result = block.contents.result if block.contents is not None else None
    return result is not None and result.complete is True


def _tag(block: Block) -> str:
    if isinstance(block, UnknownBlock):
        return block.tag or "block without a tag"
    return type(block).__name__


def _user_message_id(messages: Sequence[ChatMessage], assistant: ChatMessage) -> int | None:
    """The id of the user message just before ``assistant``."""
    previous: ChatMessage | None = None
    for message in messages:
        if message is assistant:
            break
        previous = message
    if previous is not None and not previous.is_assistant:
        return previous.inner_id
    return None
