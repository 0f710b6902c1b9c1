"""``textql-async chats`` and ``messages``: read the chat history."""

from __future__ import annotations

import datetime as dt

from textql_async._client import AsyncTextQL
from textql_async.cli._output import emit_json, make_console, out, rich_output
from textql_async.cli._render import plain_blocks, rich_blocks
from textql_async.models.ana import ChatMessage, ChatSummary, block_to_builtins

__all__ = ["print_chats", "print_messages", "run_chats", "run_messages"]


def _iso(when: dt.datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def _local(when: dt.datetime | None) -> str:
    if when is None:
        return "-"
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


def _last_message(chat: ChatSummary) -> dt.datetime | None:
    last = chat.inner_val.last_user_message
    return last.timestamp if last is not None else None


async def run_chats(client: AsyncTextQL, json_output: bool) -> None:
    """List every chat summary."""
    print_chats(await client.ana.chat_summaries(), json_output)


def print_chats(chats: list[ChatSummary], json_output: bool) -> None:
    """Chat summaries as JSON lines, a rich table, or tab-separated text."""
    if json_output:
        for chat in chats:
            emit_json(
                {
                    "id": chat.id,
                    "summary": chat.summary,
                    "last_user_message": _iso(_last_message(chat)),
                }
            )
        return
    if not rich_output():
        for chat in chats:
            out(f"{chat.id}\t{_local(_last_message(chat))}\t{chat.summary or ''}")
        return
    from rich.table import Table

    n = len(chats)
    table = Table(title=f"{n} chat{'' if n == 1 else 's'}", title_justify="left")
    table.add_column("id", style="cyan", no_wrap=True)
    table.add_column("summary")
    table.add_column("last message", no_wrap=True)
    for chat in chats:
        table.add_row(chat.id, chat.summary or "", _local(_last_message(chat)))
    make_console().print(table)


async def run_messages(client: AsyncTextQL, chat_id: str, json_output: bool) -> None:
    """Print one chat's messages, oldest first."""
    print_messages(await client.ana.chat_messages(chat_id), json_output)


def print_messages(messages: list[ChatMessage], json_output: bool) -> None:
    """Messages as JSON lines or as a header line followed by their blocks."""
    for message in messages:
        author = message.author.tag + (f" ({message.author.name})" if message.author.name else "")
        if json_output:
            emit_json(
                {
                    "inner_id": message.inner_id,
                    "author": {"tag": message.author.tag, "name": message.author.name},
                    "chat_id": message.chat_id,
                    "timestamp": _iso(message.timestamp),
                    "message_idx": message.message_idx,
                    "body": [block_to_builtins(b) for b in message.body],
                }
            )
        elif rich_output():
            console = make_console()
            console.rule(f"{author} · {_local(message.timestamp)}", align="left")
            console.print(rich_blocks(message.body))
        else:
            out(f"== {author} · {_local(message.timestamp)}")
            out(plain_blocks(message.body))
