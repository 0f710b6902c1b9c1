"""The fake cannot drift from the real service: every JSON body it sends for the v2 chat,
models and v1 routes is validated against the reference OpenAPI schemas.

(Each other v2 family checks its own routes the same way in its test folder.)
Skipped with a clear reason when ``../shared/reference`` is absent (the ``openapi`` fixture).
"""

from __future__ import annotations

from types import ModuleType

import pytest

from textql_async import APIError
from textql_async.testing import FakeTextQL


async def test_v2_chat_and_model_routes_follow_the_spec(openapi: ModuleType) -> None:
    async with FakeTextQL() as fake, fake.client(max_retries=0) as client:
        reply = await client.chats.create("Build a dashboard of revenue", connector_ids=[1])
        assert reply.chat_id
        await client.chats.create("And by region?", chat_id=reply.chat_id)
        async with client.chats.stream("Top customers?") as stream:
            result = await stream.final()
        await client.chats.list(limit=5)
        await client.chats.get(reply.chat_id)
        page = await client.chats.cells(reply.chat_id)
        if page.cells and page.cells[0].id:
            await client.chats.cell(reply.chat_id, page.cells[0].id)
        await client.chats.cancel(result.chat_id or reply.chat_id)
        await client.models.list()
        for call in (
            lambda: client.chats.list(limit=0),  # ValueError locally: not sent
            lambda: client.chats.get("00000000-0000-4000-8000-000000000000"),  # 404
        ):
            with pytest.raises((APIError, ValueError)):
                await call()
        async with fake.client(api_key="wrong", max_retries=0) as unauthorized:
            with pytest.raises(APIError):
                await unauthorized.chats.list()
        assert openapi.validate_responses(fake.responses, ("/v2/chats", "/v2/models")) >= 9


async def test_v1_routes_follow_the_spec(openapi: ModuleType) -> None:
    async with FakeTextQL() as fake, fake.client(max_retries=0) as client:
        # the seeded chat with a model value newer than the spec is there on purpose
        fake.v1.chats.pop(fake.v1.FUTURE_CHAT_ID, None)
        page = await client.v1.chats.list(limit=3)
        await client.v1.chats.list(search_term="zzz-no-match")
        chat_id = page.chats[0].id
        await client.v1.chats.get(chat_id)
        created = await client.v1.chats.create("What is our churn?")
        await client.v1.chats.cancel(created.chat_id or chat_id)
        with pytest.raises(APIError):
            await client.v1.chats.get("missing-chat")
        async with fake.client(api_key="wrong", max_retries=0) as unauthorized:
            with pytest.raises(APIError):
                await unauthorized.v1.chats.list()
        assert openapi.validate_responses(fake.responses, "/v1/") >= 6
