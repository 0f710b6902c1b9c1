"""``client.api_keys.mint``: wire shape, role scoping, argument checks, server answers."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from _api_keys_kit import OTHER_ROLE, ROLE, api_key_requests

from textql_async import AsyncTextQL, BadRequestError, PermissionDeniedError
from textql_async.models.api_keys import ApiKey, MintedApiKey, Secret
from textql_async.testing import FakeTextQL


async def test_mint_sends_the_camel_case_body_and_returns_the_secret_once(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    minted = await client.api_keys.mint(
        assumed_roles=[ROLE],
        expiry_seconds=900,
        client_id={"tenant_id": "acme", "user_email": "jane@acme.example"},
        name="acme-session-key",
        full_member_access=False,
    )
    assert fake.api_keys.bodies == [
        {
            "assumedRoles": [ROLE],
            "expirySeconds": 900,
            "clientId": '{"tenant_id":"acme","user_email":"jane@acme.example"}',
            "fullMemberAccess": False,
            "name": "acme-session-key",
        }
    ]
    assert isinstance(minted, MintedApiKey) and isinstance(minted.key, Secret)
    stored = fake.api_keys.store[minted.id or ""]
    assert minted.key.reveal() == stored.secret and stored.secret.startswith("tqlk_")
    key = minted.api_key
    assert key.status == "active" and key.assumed_roles == [ROLE] and key.name == "acme-session-key"
    assert key.member_id == fake.member_id
    assert key.client_attributes == {"tenant_id": "acme", "user_email": "jane@acme.example"}
    assert key.created_at is not None and key.expires_at is not None
    assert key.expires_at - key.created_at == dt.timedelta(seconds=900)
    assert api_key_requests(fake) == [("POST", "/v2/api-keys")]
    assert fake.responses[-1].status == 201


async def test_every_mint_gets_a_fresh_secret(fake: FakeTextQL, client: AsyncTextQL) -> None:
    keys = [await client.api_keys.mint(inherit_all_roles=True) for _ in range(3)]
    assert len({k.key.reveal() for k in keys}) == 3 and len({k.id for k in keys}) == 3
    assert fake.api_keys.bodies == [{"inheritAllRoles": True}] * 3
    assert all(k.api_key.expires_at is None for k in keys)  # no expirySeconds: never expires


async def test_a_string_client_id_is_sent_verbatim(fake: FakeTextQL, client: AsyncTextQL) -> None:
    minted = await client.api_keys.mint(assumed_roles=[ROLE], client_id="customer-42")
    assert fake.api_keys.bodies[0]["clientId"] == "customer-42"
    assert minted.api_key.client_id == "customer-42"
    assert minted.api_key.client_attributes is None  # not a JSON object


async def test_a_service_account_target(fake: FakeTextQL, client: AsyncTextQL) -> None:
    fake.api_keys.service_accounts.add("svc-embed")
    minted = await client.api_keys.mint(inherit_all_roles=True, target_member_id="svc-embed")
    assert fake.api_keys.bodies[0] == {"inheritAllRoles": True, "targetMemberId": "svc-embed"}
    assert minted.api_key.member_id == "svc-embed"


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({}, ValueError, "role-scoped"),
        ({"assumed_roles": []}, ValueError, "role-scoped"),
        ({"assumed_roles": [ROLE], "inherit_all_roles": True}, ValueError, "not both"),
        ({"assumed_roles": ROLE}, TypeError, "single string"),
        ({"assumed_roles": [ROLE, ""]}, ValueError, "assumed_roles"),
        ({"assumed_roles": [ROLE, 7]}, TypeError, "assumed_roles"),
        ({"inherit_all_roles": "yes"}, TypeError, "inherit_all_roles"),
        ({"inherit_all_roles": True, "expiry_seconds": 0}, ValueError, "positive"),
        ({"inherit_all_roles": True, "expiry_seconds": -5}, ValueError, "positive"),
        ({"inherit_all_roles": True, "expiry_seconds": 9.5}, TypeError, "expiry_seconds"),
        ({"inherit_all_roles": True, "expiry_seconds": True}, TypeError, "expiry_seconds"),
        ({"inherit_all_roles": True, "client_id": ""}, ValueError, "client_id"),
        ({"inherit_all_roles": True, "client_id": 42}, TypeError, "client_id"),
        ({"inherit_all_roles": True, "client_id": {1: "x"}}, TypeError, "keys"),
        ({"inherit_all_roles": True, "client_id": {"t": object()}}, TypeError, "JSON"),
        ({"inherit_all_roles": True, "target_member_id": " "}, ValueError, "target_member_id"),
        ({"inherit_all_roles": True, "full_member_access": 1}, TypeError, "full_member_access"),
        ({"inherit_all_roles": True, "name": ""}, ValueError, "name"),
    ],
)
async def test_bad_arguments_fail_before_any_request(
    fake: FakeTextQL, client: AsyncTextQL, kwargs: dict[str, Any], error: type[Exception], text: str
) -> None:
    with pytest.raises(error, match=text):
        await client.api_keys.mint(**kwargs)
    assert api_key_requests(fake) == []


async def test_the_server_rejects_an_unscoped_key(fake: FakeTextQL, client: AsyncTextQL) -> None:
    # the SDK refuses this shape, so send it through the transport as another client might
    from textql_async._transport import Transport

    transport: Transport = client.api_keys._transport
    with pytest.raises(BadRequestError) as caught:
        await transport.request("POST", "/v2/api-keys", json={"name": "x"}, idempotent=False)
    assert caught.value.status == 400 and caught.value.code == "invalid_request"
    assert "role-scoped" in caught.value.message
    assert fake.api_keys.store == {}


async def test_a_target_that_is_not_a_service_account_is_a_bad_request(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    with pytest.raises(BadRequestError, match="not a service account"):
        await client.api_keys.mint(inherit_all_roles=True, target_member_id="jane")
    assert fake.api_keys.store == {}


async def test_a_minted_key_may_only_narrow_its_own_scope(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    parent = await client.api_keys.mint(assumed_roles=[ROLE, OTHER_ROLE])
    async with fake.client(api_key=parent.key.reveal(), max_retries=0) as scoped:
        child = await scoped.api_keys.mint(assumed_roles=[ROLE], expiry_seconds=60)
        assert child.api_key.assumed_roles == [ROLE]
        assert child.api_key.member_id == parent.api_key.member_id
        for kwargs in (
            {"assumed_roles": [ROLE, "role-it-does-not-hold"]},
            {"inherit_all_roles": True},
            {"assumed_roles": [ROLE], "full_member_access": True},
        ):
            with pytest.raises(PermissionDeniedError) as caught:
                await scoped.api_keys.mint(**kwargs)  # type: ignore[arg-type]
            assert caught.value.status == 403 and caught.value.code == "permission_denied"
    assert len(fake.api_keys.store) == 2


async def test_unknown_fields_and_statuses_are_tolerated(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    fake.api_keys.extra_fields = {"scopes_v3": {"nested": [1, 2]}, "region": "eu"}
    minted = await client.api_keys.mint(assumed_roles=[ROLE])
    assert minted.api_key.assumed_roles == [ROLE]
    fake.api_keys.seed(assumed_roles=[ROLE], status="suspended")
    page = await client.api_keys.list()
    assert sorted(k.status or "" for k in page.api_keys) == ["active", "suspended"]


def test_a_sparse_record_decodes() -> None:
    from textql_async.models.api_keys import minted

    result = minted(json.dumps({"key": "s3cr3t-value"}).encode())
    assert (
        result.api_key == ApiKey() and result.id is None and result.key.reveal() == "s3cr3t-value"
    )
