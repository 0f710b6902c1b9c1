"""Shared bits of the API keys tests."""

from __future__ import annotations

from textql_async.testing import FakeTextQL

ROLE = "80de0196-496f-44fe-9d4c-8013b3b44082"
OTHER_ROLE = "5b1c7e0a-2f4d-4c8e-9a61-3d2e8f7b9c10"


def api_key_requests(fake: FakeTextQL) -> list[tuple[str, str]]:
    """(method, path) of every request the fake's API keys routes received."""
    return [(r.method, r.path) for r in fake.requests if r.path.startswith("/v2/api-keys")]
