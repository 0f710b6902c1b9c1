"""Folding relay events the way a browser would, for the relay tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio

from textql_async.models.ana import block_from_builtins, block_to_builtins
from textql_async.relay import AnswerRelay, RelayEvent


def as_wire(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Blocks as the SDK writes them (absent optional fields become null)."""
    return [block_to_builtins(block_from_builtins(b)) for b in blocks]


class Folded:
    """A reader's view: apply snapshot/update/done/error events in order."""

    def __init__(self) -> None:
        self.blocks: list[dict[str, Any]] = []
        self.chat_id: str | None = None
        self.events: list[RelayEvent] = []

    def apply(self, event: RelayEvent) -> None:
        if self.events and event.kind != "snapshot":
            assert event.seq == self.events[-1].seq + 1, "a gap or a duplicate"
        self.events.append(event)
        data = event.data
        if event.kind == "snapshot":
            self.blocks = list(data["blocks"])
        elif event.kind == "update":
            for item in data["blocks"]:
                index = item["index"]
                assert index <= len(self.blocks)
                if index == len(self.blocks):
                    self.blocks.append(item["block"])
                else:
                    self.blocks[index] = item["block"]
        elif event.kind == "done":
            self.blocks = list(data["blocks"])
        self.chat_id = data.get("chat_id") or self.chat_id

    @property
    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


async def read_all(events: AsyncIterator[RelayEvent], into: Folded | None = None) -> Folded:
    folded = into or Folded()
    async for event in events:
        folded.apply(event)
    return folded


async def wait_done(relay: AnswerRelay, answer_id: str, owner: str, timeout: float = 20.0) -> None:
    """Poll the answer's state until it finished (done or error)."""
    for _ in range(int(timeout / 0.05)):
        state = await relay.state(answer_id, owner=owner)
        if state.done or state.error is not None:
            return
        await anyio.sleep(0.05)
    raise AssertionError("the answer did not finish in time")
