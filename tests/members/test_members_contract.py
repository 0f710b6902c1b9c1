"""Every JSON body the fake's member and role routes send matches the reference OpenAPI schemas."""

from __future__ import annotations

from types import ModuleType

import pytest

from textql_async import APIError, AsyncTextQL
from textql_async.testing import FakeTextQL

ROUTES = {
    ("GET", "/v2/members"),
    ("POST", "/v2/members/invite"),
    ("DELETE", "/v2/members/{id}"),
    ("GET", "/v2/members/{id}/roles"),
    ("POST", "/v2/members/{id}/roles"),
    ("DELETE", "/v2/members/{id}/roles/{roleId}"),
    ("GET", "/v2/roles"),
    ("POST", "/v2/roles"),
    ("PATCH", "/v2/roles/{id}"),
}
MISSING = "00000000-0000-4000-8000-000000000000"


async def test_fake_member_and_role_responses_follow_the_spec(
    fake: FakeTextQL, client: AsyncTextQL, openapi: ModuleType
) -> None:
    fake.members.seed_member("jane@acme.example", name="Jane Doe", scim=True)
    fake.members.seed_member("stays@acme.example")
    await client.members.invite("new@acme.example", role="admin")
    role = await client.roles.create("analyst", description="analytics")
    await client.roles.create("viewer")
    [jane, _, new] = await client.members.list()
    await client.members.assign(new.id or "", role.id or "")
    await client.members.roles(new.id or "")
    await client.members.unassign(new.id or "", role.id or "")
    await client.roles.update(role.id or "", name="analysts", default_model_id=2)
    await client.roles.list()
    await client.members.remove(jane.id or "")
    await client.members.remove(new.id or "", hard_delete=True)
    failing = (
        lambda: client.members.invite("stays@acme.example"),  # 400 duplicate
        lambda: client.members.remove("not-a-uuid"),  # 400
        lambda: client.members.roles(MISSING),  # 400
        lambda: client.members.assign(MISSING, role.id or ""),  # 400
        lambda: client.members.unassign(MISSING, role.id or ""),  # 400
        lambda: client.roles.create("analysts"),  # 400 duplicate
        lambda: client.roles.update(MISSING, name="x"),  # 404
    )
    for call in failing:
        with pytest.raises(APIError):
            await call()
    async with fake.client(api_key="wrong", max_retries=0) as unauthorized:
        with pytest.raises(APIError):
            await unauthorized.members.list()  # 401
    openapi.validate_responses(fake.responses, routes=ROUTES, statuses={200, 201, 400, 401, 404})
