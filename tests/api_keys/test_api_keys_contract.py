"""Every JSON body the fake's API keys routes send matches the reference OpenAPI schemas."""

from __future__ import annotations

from types import ModuleType

import pytest
from _api_keys_kit import ROLE

from textql_async import APIError, AsyncTextQL
from textql_async.testing import FakeTextQL

ROUTES = {
    ("POST", "/v2/api-keys"),
    ("GET", "/v2/api-keys"),
    ("POST", "/v2/api-keys/{id}/rotate"),
    ("DELETE", "/v2/api-keys/{id}"),
}


async def test_fake_api_key_responses_follow_the_spec(
    fake: FakeTextQL, client: AsyncTextQL, openapi: ModuleType
) -> None:
    fake.api_keys.service_accounts.add("svc-1")
    scoped = await client.api_keys.mint(
        assumed_roles=[ROLE], expiry_seconds=900, client_id={"tenant_id": "acme"}, name="embed"
    )
    other = await client.api_keys.mint(inherit_all_roles=True, target_member_id="svc-1")
    fake.api_keys.seed(assumed_roles=[ROLE], revoked=True)
    fake.api_keys.seed(assumed_roles=[ROLE], status="unspecified")
    await client.api_keys.list()
    await client.api_keys.list(scope="service_accounts", include_revoked=True, page_size=1)
    assert len([k async for k in client.api_keys.iter(include_revoked=True, page_size=2)]) == 4
    rotated = await client.api_keys.rotate(scoped.id or "")
    await client.api_keys.revoke(other.id or "")
    failing = (
        lambda: client.api_keys.revoke(other.id or ""),  # 400 already revoked
        lambda: client.api_keys.rotate("missing"),  # 404
        lambda: client.api_keys.revoke("missing"),  # 404
        lambda: client.api_keys.mint(inherit_all_roles=True, target_member_id="jane"),  # 400
        lambda: client.api_keys.list(page_token="bogus"),  # 400
    )
    for call in failing:
        with pytest.raises(APIError):
            await call()
    async with fake.client(api_key=rotated.key.reveal(), max_retries=0) as as_scoped:
        with pytest.raises(APIError):
            await as_scoped.api_keys.mint(inherit_all_roles=True)  # 403: may only narrow
    async with fake.client(api_key="wrong", max_retries=0) as unauthorized:
        with pytest.raises(APIError):
            await unauthorized.api_keys.list()  # 401
    openapi.validate_responses(  # every route of the family
        fake.responses, "/v2/api-keys", routes=ROUTES, statuses={200, 201, 400, 401, 403, 404}
    )
