"""Helpers shared by the partner tests (imported as ``from _partner_kit import ...``)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from textql_async import AsyncTextQL
from textql_async.models.partner import DatabaseConnector
from textql_async.testing import FakeTextQL

PASSWORD = "s3cr3t-Pa55word!"


def partner_calls(fake: FakeTextQL) -> list[tuple[str, str]]:
    """``(method, path)`` of every request the fake received."""
    return [(r.method, r.path) for r in fake.requests]


async def make_connector(client: AsyncTextQL, **kw: Any) -> DatabaseConnector:
    args: dict[str, Any] = {
        "database_type": "postgres",
        "host": "db.example.com",
        "port": 5432,
        "database": "analytics",
        "username": "analyst",
        "password": PASSWORD,
        "source_name": "Production Analytics DB",
    }
    args.update(kw)
    return await client.partner.database_connectors.create(**args)


async def raw(
    fake: FakeTextQL,
    method: str,
    path: str,
    *,
    body: Any = None,
    data: bytes | None = None,
    key: str | None = "default",
) -> tuple[int, Any, bytes]:
    """A request straight to the fake (no SDK): ``(status, decoded JSON or None, raw body)``."""
    headers = (
        {} if key is None else {"X-API-Key": fake.partner_api_key if key == "default" else key}
    )
    payload = (
        data if data is not None else (json.dumps(body).encode() if body is not None else None)
    )
    if payload is not None:
        headers["Content-Type"] = "application/json"
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, fake.partner_url + path, data=payload, headers=headers) as response,
    ):
        content = await response.read()
    try:
        decoded = json.loads(content) if content else None
    except ValueError:
        decoded = None
    return response.status, decoded, content
