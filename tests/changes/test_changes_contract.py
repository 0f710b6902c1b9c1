"""Every JSON body the fake's change routes send matches the reference OpenAPI schemas."""

from __future__ import annotations

from types import ModuleType

import pytest

from textql_async import APIError, AsyncTextQL
from textql_async.testing import FakeTextQL

ROUTES = {
    ("GET", "/v2/changes"),
    ("GET", "/v2/changes/{id}"),
    ("POST", "/v2/changes/{id}/approve"),
    ("POST", "/v2/changes/{id}/deny"),
    ("POST", "/v2/changes/{id}/restore"),
}


async def test_fake_change_responses_follow_the_spec(
    fake: FakeTextQL, client: AsyncTextQL, openapi: ModuleType
) -> None:
    for i in range(3):
        fake.changes.seed(f"change {i}", chat_id="chat-1" if i else None)
    approved = fake.changes.seed("merged", status="approved")
    read_only = fake.changes.seed("locked", writable=False)
    pending = fake.changes.seed("two approvers", required_approvals=2)
    denied = fake.changes.seed("denied", status="denied")
    [c async for c in client.changes.iter(page_size=2)]
    await client.changes.list(status=["open", "denied"], include_auto_approved=True)
    await client.changes.get(pending.id, revision=1)
    await client.changes.approve(pending.id, pending.git_ref)
    await client.changes.restore(denied.id, denied.git_ref)
    await client.changes.deny(denied.id, denied.git_ref)
    failing = (
        lambda: client.changes.get("missing"),  # 404
        lambda: client.changes.approve(approved.id, approved.git_ref),  # 409 wrong state
        lambda: client.changes.deny(pending.id, "0" * 40),  # 409 stale
        lambda: client.changes.restore(read_only.id, read_only.git_ref),  # 403
        lambda: client.changes.deny("missing", "ref"),  # 404
    )
    for call in failing:
        with pytest.raises(APIError):
            await call()
    async with fake.client(api_key="wrong", max_retries=0) as unauthorized:
        with pytest.raises(APIError):
            await unauthorized.changes.get(pending.id)  # 401
    openapi.validate_responses(fake.responses, routes=ROUTES, statuses={200, 401, 403, 404, 409})


async def test_a_bad_request_body_follows_the_spec(fake: FakeTextQL, openapi: ModuleType) -> None:
    stored = fake.changes.seed()
    async with fake.client(max_retries=0) as client:
        transport = client._transport
        for body in ({}, {"expected_git_ref": ""}, None):
            with pytest.raises(APIError) as caught:
                await transport.request("POST", f"/v2/changes/{stored.id}/approve", json=body)
            assert caught.value.status == 400
    assert openapi.validate_responses(fake.responses) == 3
