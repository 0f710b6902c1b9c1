"""``client.api_keys.rotate`` / ``revoke``: the old secret stops working, the new one works."""

from __future__ import annotations

import pytest
from _api_keys_kit import OTHER_ROLE, ROLE, api_key_requests

from textql_async import (
    AsyncTextQL,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
)
from textql_async.models.api_keys import RevokedApiKey, RotatedApiKey
from textql_async.testing import FakeTextQL


async def test_rotate_revokes_and_replaces(fake: FakeTextQL, client: AsyncTextQL) -> None:
    old = await client.api_keys.mint(
        assumed_roles=[ROLE], name="embed", client_id={"tenant_id": "acme"}, expiry_seconds=600
    )
    new = await client.api_keys.rotate(old.id or "")
    assert isinstance(new, RotatedApiKey)
    assert new.revoked_api_key_id == old.id and new.id != old.id
    assert new.key != old.key and new.key.reveal() != old.key.reveal()
    same = ("name", "assumed_roles", "client_id", "member_id")
    assert all(getattr(new.api_key, f) == getattr(old.api_key, f) for f in same)
    assert new.api_key.status == "active"
    assert fake.api_keys.store[old.id or ""].status == "revoked"
    assert api_key_requests(fake)[-1] == ("POST", f"/v2/api-keys/{old.id}/rotate")
    assert fake.responses[-1].status == 200


async def test_the_old_secret_stops_working_and_the_new_one_works(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    old = await client.api_keys.mint(assumed_roles=[ROLE])
    async with fake.client(api_key=old.key.reveal(), max_retries=0) as as_old:
        await as_old.api_keys.list()  # a minted key is a Bearer credential
        new = await client.api_keys.rotate(old.id or "")
        with pytest.raises(AuthenticationError):
            await as_old.api_keys.list()
    async with fake.client(api_key=new.key.reveal(), max_retries=0) as as_new:
        assert [k.id for k in (await as_new.api_keys.list()).api_keys] == [new.id]


async def test_revoke(fake: FakeTextQL, client: AsyncTextQL) -> None:
    minted = await client.api_keys.mint(inherit_all_roles=True)
    result = await client.api_keys.revoke(minted.id or "")
    assert result == RevokedApiKey(id=minted.id, success=True)
    assert api_key_requests(fake)[-1] == ("DELETE", f"/v2/api-keys/{minted.id}")
    assert (await client.api_keys.list()).api_keys == []
    async with fake.client(api_key=minted.key.reveal(), max_retries=0) as revoked:
        with pytest.raises(AuthenticationError):
            await revoked.api_keys.list()


async def test_revoking_or_rotating_a_revoked_key_is_a_bad_request(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    minted = await client.api_keys.mint(inherit_all_roles=True)
    await client.api_keys.revoke(minted.id or "")
    for call in (client.api_keys.revoke, client.api_keys.rotate):
        with pytest.raises(BadRequestError, match="already revoked") as caught:
            await call(minted.id or "")
        assert caught.value.code == "invalid_request"
    assert len(fake.api_keys.store) == 1  # no replacement was minted


async def test_unknown_ids_are_not_found(fake: FakeTextQL, client: AsyncTextQL) -> None:
    for call in (client.api_keys.revoke, client.api_keys.rotate):
        with pytest.raises(NotFoundError) as caught:
            await call("no-such-key")
        assert caught.value.status == 404 and caught.value.code == "not_found"


async def test_ids_are_escaped_in_the_path(fake: FakeTextQL, client: AsyncTextQL) -> None:
    with pytest.raises(NotFoundError):
        await client.api_keys.revoke("a/b?c")
    assert api_key_requests(fake) == [("DELETE", "/v2/api-keys/a/b?c")]
    assert fake.requests[-1].query == {}  # the ? stayed in the path segment


async def test_a_role_scoped_key_cannot_touch_a_colleagues_key(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    colleague = fake.api_keys.seed(assumed_roles=[OTHER_ROLE], member_id="jane")
    scoped_key = await client.api_keys.mint(assumed_roles=[ROLE])
    async with fake.client(api_key=scoped_key.key.reveal(), max_retries=0) as scoped:
        for call in (scoped.api_keys.revoke, scoped.api_keys.rotate):
            with pytest.raises(PermissionDeniedError):
                await call(colleague.id)
        rotated = await scoped.api_keys.rotate(scoped_key.id or "")  # its own: allowed
    assert rotated.revoked_api_key_id == scoped_key.id
    assert fake.api_keys.store[colleague.id].status == "active"


@pytest.mark.parametrize("bad", ["", "  ", None, 7])
async def test_bad_ids_fail_before_any_request(
    fake: FakeTextQL, client: AsyncTextQL, bad: object
) -> None:
    for call in (client.api_keys.revoke, client.api_keys.rotate):
        with pytest.raises((TypeError, ValueError)):
            await call(bad)  # type: ignore[arg-type]
    assert api_key_requests(fake) == []


async def test_passing_the_secret_instead_of_the_id_is_refused(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    minted = await client.api_keys.mint(inherit_all_roles=True)
    for call in (client.api_keys.revoke, client.api_keys.rotate):
        with pytest.raises(TypeError, match="key id"):
            await call(minted.key)  # type: ignore[arg-type]
    assert api_key_requests(fake) == [("POST", "/v2/api-keys")]
