"""The ``textql-async`` command line: ``ask``, ``chats``, ``messages``, ``demo``, ``fake-server``."""

from textql_async.cli._main import build_parser, main

__all__ = ["build_parser", "main"]
