"""``textql-async demo`` and ``fake-server``: the SDK against the bundled fake TextQL."""

from __future__ import annotations

from textql_async.cli._ask import AskOptions, choose_mode, run_ask
from textql_async.cli._history import run_chats
from textql_async.cli._output import make_console, out

__all__ = ["DEMO_DELAY", "DEMO_QUESTION", "run_demo", "run_fake_server"]

DEMO_QUESTION = "Which store is the largest?"
# About 3 s for the 32 events of the default answer: the pace of a short real Ana run, so a
# newcomer sees the text grow word by word and the Python block gain its result.
DEMO_DELAY = 0.1


async def run_demo(question: str, json_output: bool, delay: float | None) -> None:
    """Ask an embedded fake server ``question``, then list its chats. No credentials needed.

    Events are paced by ``delay`` seconds (default :data:`DEMO_DELAY`, like a real run).
    """
    from textql_async.testing import FakeTextQL

    mode = choose_mode(json_output)
    if delay is None:
        delay = DEMO_DELAY
    async with FakeTextQL(event_delay=delay) as fake, fake.client() as client:
        if mode == "plain":
            out(f"Asking the fake TextQL server at {fake.url}: {question}")
        elif mode != "json":
            from rich.text import Text

            intro = Text(f"Asking the fake TextQL server at {fake.url}: ", style="dim")
            make_console().print(intro.append(question, style="bold"))
        await run_ask(client, AskOptions(question), mode)
        await run_chats(client, json_output)


async def run_fake_server(
    host: str, port: int, api_key: str, member_id: str, event_delay: float
) -> None:
    """Serve a fake TextQL until interrupted, printing its URL and the variables to export."""
    from textql_async.testing import serve

    await serve(host, port, api_key, member_id, event_delay=event_delay)
