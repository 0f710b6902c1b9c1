"""Error statuses map to the typed errors; only what is safe to re-send is retried."""

from __future__ import annotations

import pytest
from _api_keys_kit import ROLE, api_key_requests

from textql_async import (
    APIError,
    AsyncTextQL,
    AuthenticationError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from textql_async.testing import FakeTextQL, HTTPError, error_body


async def test_a_wrong_key_is_an_authentication_error(fake: FakeTextQL) -> None:
    async with fake.client(api_key="wrong", max_retries=0) as client:
        for call in (
            lambda: client.api_keys.mint(inherit_all_roles=True),
            client.api_keys.list,
            lambda: client.api_keys.rotate("k1"),
            lambda: client.api_keys.revoke("k1"),
        ):
            with pytest.raises(AuthenticationError) as caught:
                await call()
            assert caught.value.status == 401 and caught.value.code == "unauthenticated"
    assert fake.api_keys.store == {}


async def test_v2_takes_bearer_only(fake: FakeTextQL, client: AsyncTextQL) -> None:
    import base64

    basic = base64.b64encode(f"{fake.member_id}:{fake.api_key}".encode()).decode()
    transport = client.api_keys._transport
    with pytest.raises(AuthenticationError):  # the legacy /api/ana scheme is not v2's
        await transport.request("GET", "/v2/api-keys", headers={"Authorization": f"Basic {basic}"})
    async with fake.client(member_id=fake.member_id, max_retries=0) as with_member:
        await with_member.api_keys.list()  # so the SDK sends Bearer even with a member id
    assert fake.requests[-1].headers["Authorization"] == f"Bearer {fake.api_key}"


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (403, "permission_denied", PermissionDeniedError),
        (429, "rate_limit_exceeded", RateLimitError),
        (500, "internal", ServerError),
    ],
)
async def test_documented_statuses_map_to_typed_errors(
    fake: FakeTextQL, client: AsyncTextQL, status: int, code: str, error: type[APIError]
) -> None:
    fake.inject(HTTPError(status, error_body(code, "nope")), times=None, path="/v2/api-keys")
    with pytest.raises(error) as caught:
        await client.api_keys.mint(assumed_roles=[ROLE])
    assert caught.value.status == status and caught.value.code == code
    assert caught.value.message.endswith(": nope")
    with pytest.raises(error):
        await client.api_keys.list()


async def test_mint_and_rotate_are_not_resent_after_a_server_error(fake: FakeTextQL) -> None:
    async with fake.client(max_retries=3) as client:
        fake.inject(HTTPError(503), times=None, path="/v2/api-keys")
        with pytest.raises(ServerError):
            await client.api_keys.mint(inherit_all_roles=True)
        assert api_key_requests(fake) == [("POST", "/v2/api-keys")]  # a second key might exist
        fake.clear_faults()
        fake.inject(HTTPError(503), times=None, path="/v2/api-keys/k1/rotate")
        with pytest.raises(ServerError):
            await client.api_keys.rotate("k1")
        assert api_key_requests(fake).count(("POST", "/v2/api-keys/k1/rotate")) == 1


async def test_list_and_revoke_are_retried(fake: FakeTextQL) -> None:
    key = fake.api_keys.seed(assumed_roles=[ROLE])
    async with fake.client(max_retries=2) as client:
        fake.inject(HTTPError(503, headers={"Retry-After": "0"}), path="/v2/api-keys")
        page = await client.api_keys.list()
        assert [k.id for k in page.api_keys] == [key.id]
        fake.inject(HTTPError(502, headers={"Retry-After": "0"}), path=f"/v2/api-keys/{key.id}")
        assert (await client.api_keys.revoke(key.id)).success
    assert (
        api_key_requests(fake)
        == [("GET", "/v2/api-keys")] * 2 + [("DELETE", f"/v2/api-keys/{key.id}")] * 2
    )
