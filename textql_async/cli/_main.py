"""Argument parsing, dispatch and error reporting of the ``textql-async`` command."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Coroutine, Sequence
from typing import Any

from textql_async._client import AsyncTextQL
from textql_async._config import ENV_API_KEY, ENV_BASE_URL, ENV_MEMBER_ID
from textql_async._exceptions import (
    APITimeoutError,
    ConfigurationError,
    StreamError,
    TextQLError,
)
from textql_async._version import __version__
from textql_async.cli._ask import AskOptions, choose_mode, run_ask
from textql_async.cli._batch import add_batch_parser, batch_options, run_batch_command
from textql_async.cli._fake import DEMO_DELAY, DEMO_QUESTION, run_demo, run_fake_server
from textql_async.cli._history import run_chats, run_messages
from textql_async.cli._loop import run as run_loop

__all__ = ["build_parser", "main"]

_NO_KEY = f"no API key: set {ENV_API_KEY} (and {ENV_MEMBER_ID}) or pass --api-key"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="textql-async",
        description="Ask TextQL's Ana agent from the command line.",
        epilog="Rich live views need the cli extra: pip install 'textql-async[cli]'. "
        "Without it every command prints plain text.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    conn = argparse.ArgumentParser(add_help=False)
    group = conn.add_argument_group("connection")
    group.add_argument("--api-key", help=f"API key (default: ${ENV_API_KEY}; prefer the variable)")
    group.add_argument("--member-id", help=f"member id for Basic auth (default: ${ENV_MEMBER_ID})")
    group.add_argument("--base-url", help=f"API base URL (default: ${ENV_BASE_URL} or TextQL's)")
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print JSON lines, no live view")

    ask = commands.add_parser(
        "ask", parents=[conn, as_json], help="ask Ana a question and watch the answer grow"
    )
    ask.add_argument("question")
    ask.add_argument("--dataset", help="dataset to ask about")
    ask.add_argument(
        "--ontology-connector-id",
        type=int,
        metavar="N",
        help="query through this Ontology connector",
    )
    ask.add_argument("--clifford", action="store_true", help="use the Clifford engine")

    commands.add_parser("chats", parents=[conn, as_json], help="list your chats")
    messages = commands.add_parser(
        "messages", parents=[conn, as_json], help="print the messages of one chat"
    )
    messages.add_argument("chat_id", metavar="CHAT_ID")
    add_batch_parser(commands, [conn])

    demo = commands.add_parser(
        "demo", parents=[as_json], help="ask a bundled fake server (no credentials needed)"
    )
    demo.add_argument("--question", default=DEMO_QUESTION, help="default: %(default)r")
    demo.add_argument(
        "--delay",
        type=float,
        metavar="SECONDS",
        default=DEMO_DELAY,
        help="pause between events, like a real Ana run (default: %(default)s)",
    )

    fake = commands.add_parser("fake-server", help="run the fake TextQL server until Ctrl-C")
    fake.add_argument("--host", default="127.0.0.1", help="default: %(default)s")
    fake.add_argument("--port", type=int, default=8765, help="default: %(default)s")
    fake.add_argument("--api-key", default="test-key", help="the key it accepts")
    fake.add_argument("--member-id", default="test-member", help="the member id it accepts")
    fake.add_argument("--event-delay", type=float, default=0.0, metavar="SECONDS")
    return parser


def _client(args: argparse.Namespace) -> AsyncTextQL:
    api_key = args.api_key or os.environ.get(ENV_API_KEY)
    if not api_key:
        raise ConfigurationError(_NO_KEY)
    return AsyncTextQL(api_key=api_key, member_id=args.member_id, base_url=args.base_url)


async def _with_client(args: argparse.Namespace) -> None:
    async with _client(args) as client:
        if args.command == "ask":
            options = AskOptions(
                args.question, args.dataset, args.ontology_connector_id, args.clifford
            )
            await run_ask(client, options, choose_mode(args.json))
        elif args.command == "chats":
            await run_chats(client, args.json)
        elif args.command == "batch":
            await run_batch_command(client, batch_options(args))
        else:
            await run_messages(client, args.chat_id, args.json)


def _command(args: argparse.Namespace) -> Coroutine[Any, Any, None]:
    if args.command == "demo":
        return run_demo(args.question, args.json, args.delay)
    if args.command == "fake-server":
        return run_fake_server(args.host, args.port, args.api_key, args.member_id, args.event_delay)
    return _with_client(args)


def _describe(exc: BaseException) -> str:
    message = str(exc) or type(exc).__name__
    snapshot = exc.snapshot if isinstance(exc, (StreamError, APITimeoutError)) else None
    if snapshot is not None:
        count = len(snapshot.blocks)
        message += f" ({count} block{'' if count == 1 else 's'} arrived)"
    return message


def _error(message: str, secret: str | None) -> None:
    if secret:
        message = message.replace(secret, "***")
    print(f"error: {message}", file=sys.stderr, flush=True)


def _silence_stdout() -> None:
    """After a broken pipe, send what is left to /dev/null so exiting does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``textql-async`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else 2
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    secret = getattr(args, "api_key", None) or os.environ.get(ENV_API_KEY)
    try:
        run_loop(_command(args))  # uvloop when the speed extra is installed
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 1
    except ConfigurationError as exc:
        _error(str(exc), secret)
        return 2
    except TextQLError as exc:
        _error(_describe(exc), secret)
        return 1
    except ValueError as exc:  # invalid arguments, rejected before any request
        _error(str(exc), secret)
        return 2
    return 0
