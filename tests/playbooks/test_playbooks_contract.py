"""Every JSON body the fake's playbook routes send matches the reference OpenAPI schemas."""

from __future__ import annotations

from types import ModuleType

import pytest

from textql_async import APIError, APITimeoutError, AsyncTextQL
from textql_async.testing import FakeTextQL

ROUTES = {
    ("GET", "/v2/playbooks"),
    ("POST", "/v2/playbooks"),
    ("GET", "/v2/playbooks/{id}"),
    ("PATCH", "/v2/playbooks/{id}"),
    ("DELETE", "/v2/playbooks/{id}"),
    ("POST", "/v2/playbooks/{id}/deploy"),
    ("POST", "/v2/playbooks/{id}/run"),
}
MISSING = "0b9a5f0c-3a52-4a9e-9d55-7f1f5d3c2e11"


async def test_fake_playbook_responses_follow_the_spec(
    fake: FakeTextQL, client: AsyncTextQL, openapi: ModuleType
) -> None:
    created = await client.playbooks.create()
    assert created.id is not None
    await client.playbooks.update(
        created.id,
        name="Weekly revenue",
        prompt="Revenue by region",
        cron_string="0 9 * * 1",
        email_addresses=["cfo@example.com"],
        slack_channel_id="C0123",
    )
    await client.playbooks.deploy(created.id)
    await client.playbooks.run(created.id)
    await client.playbooks.run(created.id, dry_run=True)
    await client.playbooks.get(created.id, limit=5)
    await client.playbooks.list(search_term="revenue", status_filter="deployed")
    empty = await client.playbooks.create()
    assert empty.id is not None
    fake.playbooks.time_out_runs()
    failing = (
        lambda: client.playbooks.run(created.id),  # 504
        lambda: client.playbooks.run(empty.id),  # 400: no prompt
        lambda: client.playbooks.update(created.id, cron_string="often"),  # 400
        lambda: client.playbooks.get(MISSING),  # 404
        lambda: client.playbooks.update(MISSING, name="x"),  # 404
        lambda: client.playbooks.delete(MISSING),  # 404
        lambda: client.playbooks.deploy(MISSING),  # 404
        lambda: client.playbooks.run(MISSING),  # 404
    )
    for call in failing:
        with pytest.raises((APIError, APITimeoutError)):
            await call()
    await client.playbooks.delete(empty.id)
    async with fake.client(api_key="wrong", max_retries=0) as unauthorized:
        with pytest.raises(APIError):
            await unauthorized.playbooks.list()  # 401
    openapi.validate_responses(
        fake.responses, routes=ROUTES, statuses={200, 201, 400, 401, 404, 504}
    )
