"""Fixtures for the textql_async.testing tests (which use plain aiohttp clients, no SDK)."""

from __future__ import annotations

# The fixtures are normally provided by the pytest11 entry point; importing them here keeps
# these tests working when the installed package metadata predates the entry point.
from textql_async.testing._plugin import fake_textql, textql_client

__all__ = ["fake_textql", "textql_client"]
