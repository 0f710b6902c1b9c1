"""Every JSON body the fake's connector routes send matches the reference OpenAPI schemas."""

from __future__ import annotations

from types import ModuleType

import pytest
from _connectors_kit import pg, snowflake

from textql_async import APIError, AsyncTextQL
from textql_async.models.connectors import ConnectorAccess, ConnectorAccessGrant
from textql_async.testing import FakeTextQL


async def test_fake_connector_responses_follow_the_spec(
    fake: FakeTextQL, client: AsyncTextQL, openapi: ModuleType
) -> None:
    access = ConnectorAccess(is_public=False, grants=[ConnectorAccessGrant.for_role("r")])
    first = await client.connectors.create(pg(), access=access)
    second = await client.connectors.create(snowflake())
    await client.connectors.list()
    await client.connectors.types()
    await client.connectors.test(pg())
    await client.connectors.test(pg(host="db.unreachable.example"))
    await client.connectors.update(first.id, pg(password=None))
    await client.connectors.access(first.id)
    await client.connectors.set_access(first.id, is_public=True)
    await client.connectors.delete(second.id)
    failing = (
        lambda: client.connectors.create(pg()),  # 409
        lambda: client.connectors.create(pg("x", host="")),  # 400
        lambda: client.connectors.update(99, pg()),  # 404
        lambda: client.connectors.delete(99),  # 404
        lambda: client.connectors.test(pg(), connector_id=99),  # 404
    )
    for call in failing:
        with pytest.raises(APIError):
            await call()
    async with fake.client(api_key="wrong", max_retries=0) as unauthorized:
        with pytest.raises(APIError):
            await unauthorized.connectors.list()  # 401
    openapi.validate_responses(fake.responses, statuses={200, 201, 400, 401, 404, 409})
