"""The Ana fold: named events in, ordered block snapshots out (replace-by-id), no I/O.

Ana re-sends a block with the same ``id`` as it grows; the newer version
replaces the older one in place. Blocks keep the order in which their id first
appeared; a block without an id (the docs' ``ErrorBlock``) gets a slot of its
own. Lookup is a dict from id to slot, so each update costs O(1) however many
blocks the answer has.

The fold is source-agnostic: feed it ``(event, data)`` pairs from our
:class:`~textql_async.sansio.sse.SSEDecoder` or from any other SSE client.
"""

from __future__ import annotations

from typing import Any

import msgspec

from textql_async._exceptions import StreamError
from textql_async.models.ana import (
    Block,
    ErrorBlock,
    MalformedBlockError,
    TextBlock,
    block_from_builtins,
    decode_block,
)
from textql_async.sansio.slots import OrderedSlots

__all__ = ["AnaFold", "BlockUpdate", "Snapshot"]

_json = msgspec.json.Decoder()


class BlockUpdate(msgspec.Struct, frozen=True, gc=False):
    """One block version: its slot ``index``, the ``block``, and whether the slot is new."""

    index: int
    block: Block
    is_new: bool


class Snapshot(msgspec.Struct, frozen=True, gc=False):
    """The answer so far: every block in first-appearance order, newest version of each."""

    blocks: tuple[Block, ...] = ()
    chat_id: str | None = None
    user_msg_id: int | None = None
    assistant_msg_id: int | None = None
    done: bool = False

    @property
    def answer(self) -> str | None:
        """The text of the last TextBlock (Ana's answer), or ``None`` when there is none."""
        return last_text(self.blocks)

    @property
    def errors(self) -> tuple[ErrorBlock, ...]:
        """Every ErrorBlock received, in order."""
        return tuple(b for b in self.blocks if isinstance(b, ErrorBlock))


def last_text(blocks: tuple[Block, ...] | list[Block]) -> str | None:
    """The contents of the last TextBlock in ``blocks``."""
    for block in reversed(blocks):
        if isinstance(block, TextBlock):
            return block.contents
    return None


class AnaFold:
    """Folds Ana's named events into a :class:`Snapshot`.

    :meth:`feed` returns a :class:`BlockUpdate` for a ``block`` event and
    ``None`` for every other event (metadata is recorded; unknown names are
    ignored). Malformed payloads raise :class:`~textql_async.StreamError`
    carrying the snapshot so far and the raw payload.
    """

    __slots__ = (
        "_assistant_msg_id",
        "_chat_id",
        "_done",
        "_slots",
        "_snapshot",
        "_user_msg_id",
        "events",
        "last_index",
    )

    def __init__(self) -> None:
        self._slots: OrderedSlots[Block] = OrderedSlots()
        self._chat_id: str | None = None
        self._user_msg_id: int | None = None
        self._assistant_msg_id: int | None = None
        self._done = False
        self._snapshot: Snapshot | None = None
        #: slot of the most recent block update (``None`` before the first block)
        self.last_index: int | None = None
        #: how many Ana events were applied (block or metadata), for idle-time bookkeeping
        self.events = 0

    # -- state -------------------------------------------------------------------------------

    @property
    def snapshot(self) -> Snapshot:
        """An immutable snapshot of the answer so far (cached until the next change)."""
        snap = self._snapshot
        if snap is None:
            snap = self._snapshot = Snapshot(
                tuple(self._slots.items),
                self._chat_id,
                self._user_msg_id,
                self._assistant_msg_id,
                self._done,
            )
        return snap

    @property
    def chat_id(self) -> str | None:
        """The chat id, once the ``chatId`` event arrived."""
        return self._chat_id

    @property
    def done(self) -> bool:
        """Whether the ``message: "done"`` event arrived."""
        return self._done

    @property
    def block_count(self) -> int:
        """How many slots the answer has so far."""
        return len(self._slots)

    def block_at(self, index: int) -> Block:
        """The newest version of the block in slot ``index``."""
        return self._slots.items[index]

    # -- input -------------------------------------------------------------------------------

    def feed(self, event: str, data: str | bytes) -> BlockUpdate | None:
        """Apply one named event; returns the block update for ``block`` events."""
        self.events += 1
        if event == "block":
            try:
                block = decode_block(data)
            except MalformedBlockError as exc:
                raise StreamError(
                    f"malformed block event: {exc}", snapshot=self.snapshot, raw=exc.raw
                ) from None
            self.events -= 1  # apply_block counts it
            return self.apply_block(block)
        if event not in _METADATA:
            event = event.strip()
            if event == "block":
                return self.feed(event, data)
            if event not in _METADATA:
                return None  # unknown event names are ignored, never fatal
        if event == "chatId":
            self._chat_id = self._parse_chat_id(data)
        elif event == "userMsgId":
            self._user_msg_id = self._parse_int(event, data)
        elif event == "assistantMsgId":
            self._assistant_msg_id = self._parse_int(event, data)
        elif event == "message":
            value = self._parse_json(event, data)
            if value == "done":
                self._done = True
            elif isinstance(value, dict) and isinstance(value.get("tag"), str):
                # tolerance: a block sent as an unnamed event is still a block, never lost
                self.events -= 1  # apply_block counts it
                return self.apply_block(self._block_from(value, data))
        self._snapshot = None
        return None

    def apply_block(self, block: Block) -> BlockUpdate:
        """Place an already-decoded block: replace its id's slot, or append a new slot."""
        self._snapshot = None
        self.events += 1
        index, is_new = self._slots.put(block.id, block)
        self.last_index = index
        return BlockUpdate(index, block, is_new)

    def mark_done(self) -> None:
        """Record the end of the answer (used when an answer is recovered without a stream)."""
        self._done = True
        self._snapshot = None

    # -- payload parsing ---------------------------------------------------------------------

    def _block_from(self, value: dict[str, Any], data: str | bytes) -> Block:
        try:
            return block_from_builtins(value, data)
        except MalformedBlockError as exc:
            raise StreamError(
                f"malformed block event: {exc}", snapshot=self.snapshot, raw=exc.raw
            ) from None

    def _parse_json(self, event: str, data: str | bytes) -> Any:
        try:
            return _json.decode(data)
        except msgspec.DecodeError:
            return None  # reported by the caller as "does not carry a ..."

    def _parse_chat_id(self, data: str | bytes) -> str:
        value = self._parse_json("chatId", data)
        if not isinstance(value, str) or not value:
            raise StreamError(
                "chatId event does not carry a string", snapshot=self.snapshot, raw=_text(data)
            )
        return value

    def _parse_int(self, event: str, data: str | bytes) -> int:
        value = self._parse_json(event, data)
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise StreamError(
                f"{event} event does not carry an integer", snapshot=self.snapshot, raw=_text(data)
            )
        return value


_METADATA = frozenset({"chatId", "userMsgId", "assistantMsgId", "message"})


def _text(data: str | bytes) -> str:
    return data if isinstance(data, str) else data.decode("utf-8", "replace")
