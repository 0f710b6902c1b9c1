"""Members and roles: bad arguments never leave the client, error statuses map to typed errors."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from textql_async import (
    APIError,
    AsyncTextQL,
    AuthenticationError,
    BadRequestError,
    PermissionDeniedError,
    RetryPolicy,
    ServerError,
)
from textql_async.testing import FakeTextQL, HTTPError

BAD_CALLS: list[tuple[str, Callable[[AsyncTextQL], Awaitable[Any]], type[Exception]]] = [
    ("invite empty email", lambda c: c.members.invite(""), ValueError),
    ("invite no at", lambda c: c.members.invite("jane.acme.example"), ValueError),
    ("invite no domain", lambda c: c.members.invite("jane@"), ValueError),
    ("invite spaces", lambda c: c.members.invite("ja ne@acme.example"), ValueError),
    ("invite email not str", lambda c: c.members.invite(None), TypeError),
    ("invite empty role", lambda c: c.members.invite("a@b.example", role=""), ValueError),
    ("remove empty id", lambda c: c.members.remove(""), ValueError),
    ("remove hard not bool", lambda c: c.members.remove("m", hard_delete="yes"), TypeError),
    ("roles empty id", lambda c: c.members.roles(" "), ValueError),
    ("assign empty role", lambda c: c.members.assign("m", ""), ValueError),
    ("assign role not str", lambda c: c.members.assign("m", 5), TypeError),
    ("unassign empty member", lambda c: c.members.unassign("", "r"), ValueError),
    ("create empty name", lambda c: c.roles.create(""), ValueError),
    ("create description int", lambda c: c.roles.create("x", description=1), TypeError),
    ("update nothing", lambda c: c.roles.update("r"), ValueError),
    ("update empty id", lambda c: c.roles.update("", name="x"), ValueError),
    ("update blank name", lambda c: c.roles.update("r", name=" "), ValueError),
    ("update negative model", lambda c: c.roles.update("r", default_model_id=-1), ValueError),
    ("update model 0 allowed", lambda c: c.roles.update("r", allowed_model_ids=[0]), ValueError),
    ("update models a str", lambda c: c.roles.update("r", allowed_model_ids="1"), TypeError),
    ("update model bool", lambda c: c.roles.update("r", default_model_id=True), TypeError),
    ("update choice not bool", lambda c: c.roles.update("r", allow_model_choice=1), TypeError),
    (
        "update allowed and clear",
        lambda c: c.roles.update("r", allowed_model_ids=[1], clear_allowed_model_ids=True),
        ValueError,
    ),
]


@pytest.mark.parametrize(("name", "call", "error"), BAD_CALLS, ids=[b[0] for b in BAD_CALLS])
async def test_bad_arguments_raise_before_any_request(
    fake: FakeTextQL,
    client: AsyncTextQL,
    name: str,
    call: Callable[[AsyncTextQL], Awaitable[Any]],
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        await call(client)
    assert fake.requests == []


async def test_unknown_member_is_a_bad_request(fake: FakeTextQL, client: AsyncTextQL) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    role = fake.members.seed_role("analyst")
    for call in (
        client.members.remove(missing),
        client.members.roles(missing),
        client.members.assign(missing, role.id),
        client.members.unassign("not-a-uuid", role.id),
    ):
        with pytest.raises(BadRequestError) as caught:
            await call
        assert caught.value.status == 400 and caught.value.code == "invalid_request"


async def test_removed_member_has_no_roles(fake: FakeTextQL, client: AsyncTextQL) -> None:
    member = fake.members.seed_member("leaver@acme.example")
    await client.members.remove(member.id)
    with pytest.raises(BadRequestError) as caught:
        await client.members.roles(member.id)
    assert "not found" in caught.value.message


async def test_unknown_role_cannot_be_assigned(fake: FakeTextQL, client: AsyncTextQL) -> None:
    member = fake.members.seed_member("ana@acme.example")
    with pytest.raises(BadRequestError) as caught:
        await client.members.assign(member.id, "00000000-0000-4000-8000-000000000000")
    assert "role" in caught.value.message
    assert fake.members.role_names(member) == ["member"]


async def test_service_account_roles_are_immutable(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    bot = fake.members.seed_member("bot@acme.example", service_account=True)
    role = fake.members.seed_role("analyst")
    with pytest.raises(BadRequestError) as caught:
        await client.members.assign(bot.id, role.id)
    assert "immutable" in caught.value.message


async def test_duplicate_invite_is_a_bad_request(fake: FakeTextQL, client: AsyncTextQL) -> None:
    fake.members.seed_member("jane@acme.example")
    with pytest.raises(BadRequestError) as caught:
        await client.members.invite("JANE@acme.example")
    assert "already a member" in caught.value.message


async def test_snake_case_role_id_is_refused_by_the_fake(fake: FakeTextQL) -> None:
    member = fake.members.seed_member("ana@acme.example")
    role = fake.members.seed_role("analyst")
    async with fake.client(max_retries=0) as client:
        with pytest.raises(BadRequestError) as caught:
            await client._transport.request(
                "POST", f"/v2/members/{member.id}/roles", json={"role_id": role.id}
            )
    assert "roleId is required" in caught.value.message


async def test_wrong_key_is_an_authentication_error(fake: FakeTextQL) -> None:
    async with fake.client(api_key="wrong", max_retries=0) as client:
        for call in (client.members.list(), client.roles.list()):
            with pytest.raises(AuthenticationError) as caught:
                await call
            assert caught.value.code == "unauthenticated"


async def test_forbidden_maps_to_permission_denied(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    denied = {"error": {"code": "permission_denied", "message": "role:write is required"}}
    fake.inject(HTTPError(403, json.dumps(denied).encode()), path="/v2/roles")
    with pytest.raises(PermissionDeniedError) as caught:
        await client.roles.create("analyst")
    assert caught.value.code == "permission_denied" and "role:write" in caught.value.message


async def test_unknown_fields_are_tolerated(fake: FakeTextQL, client: AsyncTextQL) -> None:
    members = {
        "members": [
            {"id": "m1", "email": "a@b.example", "roles": ["x"], "status": "pending", "seat": 3}
        ],
        "next_page_token": None,
    }
    fake.inject(HTTPError(200, json.dumps(members).encode()), path="/v2/members")
    [member] = await client.members.list()
    assert (member.id, member.roles, member.name) == ("m1", ["x"], None)
    roles = {"member_id": "m1", "roles": [{"id": "r1", "name": "x", "permissions": ["a"]}]}
    fake.inject(HTTPError(200, json.dumps(roles).encode()), path="/v2/members/m1/roles")
    assert [r.id for r in await client.members.roles("m1")] == ["r1"]


async def test_a_body_that_is_not_a_role_is_an_api_error(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    fake.inject(HTTPError(201, b"<html>ok</html>", content_type="text/html"), path="/v2/roles")
    with pytest.raises(APIError) as caught:
        await client.roles.create("analyst")
    assert caught.value.status == 201


async def test_idempotent_writes_are_retried_and_others_are_not(fake: FakeTextQL) -> None:
    member = fake.members.seed_member("ana@acme.example")
    role = fake.members.seed_role("analyst")
    policy = RetryPolicy(max_retries=1, base=0.001, cap=0.001)
    async with fake.client(retry_policy=policy) as client:
        fake.inject(HTTPError(503), path=f"/v2/members/{member.id}/roles")
        assert (await client.members.assign(member.id, role.id)).success
        fake.inject(HTTPError(503), path=f"/v2/roles/{role.id}")
        assert (await client.roles.update(role.id, name="analysts")).name == "analysts"
        fake.inject(HTTPError(503), path="/v2/roles")
        with pytest.raises(ServerError):
            await client.roles.create("viewer")  # a retried create could create twice
        fake.inject(HTTPError(503), path="/v2/members/invite")
        with pytest.raises(ServerError):
            await client.members.invite("new@acme.example")
    paths = [r.path for r in fake.requests]
    assert paths.count(f"/v2/members/{member.id}/roles") == 2
    assert paths.count(f"/v2/roles/{role.id}") == 2
    assert paths.count("/v2/roles") == 1 and paths.count("/v2/members/invite") == 1
    assert fake.members.role_names(member) == ["member", "analysts"]
