"""``textql-async ask``: stream one answer as a live view, a final view, or JSON lines."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Literal

from textql_async._client import AsyncTextQL
from textql_async._streaming import AnaStream
from textql_async.cli._output import emit_json, has_rich, is_terminal, make_console, out
from textql_async.cli._render import LiveView, plain_blocks, rich_blocks
from textql_async.models.ana import block_to_builtins
from textql_async.sansio.fold import Snapshot

__all__ = ["AskOptions", "Mode", "choose_mode", "run_ask"]

Mode = Literal["json", "live", "rich", "plain"]


@dataclass(frozen=True)
class AskOptions:
    """What to ask Ana."""

    question: str
    dataset: str | None = None
    ontology_connector_id: int | None = None
    clifford: bool = False


_NO_RICH_HINT = (
    "textql-async: plain output; for the live view install the cli extra: "
    "pip install 'textql-async[cli]'"
)


def choose_mode(json_output: bool) -> Mode:
    """JSON lines if asked; a live view on a terminal; else a final view (rich or plain)."""
    if json_output:
        return "json"
    if not has_rich():
        if is_terminal():
            print(_NO_RICH_HINT, file=sys.stderr)
        return "plain"
    return "live" if is_terminal() else "rich"


async def run_ask(client: AsyncTextQL, options: AskOptions, mode: Mode) -> Snapshot:
    """Ask the question and show the answer in ``mode``; returns the final snapshot."""
    stream = client.ana.stream(
        options.question,
        dataset=options.dataset,
        use_ontology=options.ontology_connector_id is not None,
        ontology_connector_id=options.ontology_connector_id,
        clifford=options.clifford,
    )
    if mode == "json":
        return await _ask_json(stream)
    start = time.monotonic()
    try:
        if mode == "live":
            await _ask_live(stream)
        else:
            async with stream as s:
                await s.final()
    finally:
        # what arrived stays on screen, even when the stream failed or was interrupted
        _print_final(stream.snapshot, mode, time.monotonic() - start)
    return stream.snapshot


async def _ask_json(stream: AnaStream) -> Snapshot:
    async with stream as s:
        async for update in s:
            emit_json(
                {
                    "index": update.index,
                    "is_new": update.is_new,
                    "block": block_to_builtins(update.block),
                }
            )
        snapshot = s.snapshot
    emit_json(
        {
            "done": True,
            "chat_id": snapshot.chat_id,
            "user_msg_id": snapshot.user_msg_id,
            "assistant_msg_id": snapshot.assistant_msg_id,
            "answer": snapshot.answer,
        }
    )
    return snapshot


async def _ask_live(stream: AnaStream) -> None:
    from rich.live import Live

    view = LiveView()
    with Live(view, console=make_console(), refresh_per_second=12, transient=True):
        async with stream as s:
            async for _ in s:
                view.update(s.snapshot.blocks)


def _print_final(snapshot: Snapshot, mode: Mode, elapsed: float) -> None:
    blocks = snapshot.blocks
    if not blocks and snapshot.chat_id is None:
        return  # nothing arrived: the error message says it all
    footer = f"chat {snapshot.chat_id or '?'} · {_count(len(blocks))} · {elapsed:.1f} s"
    if mode == "plain":
        if blocks:
            out(plain_blocks(blocks))
        out(f"-- {footer}")
        return
    console = make_console()
    if blocks:
        console.print(rich_blocks(blocks))
    console.print(footer, style="dim")


def _count(n: int) -> str:
    return f"{n} block" if n == 1 else f"{n} blocks"
