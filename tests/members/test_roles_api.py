"""client.roles against the fake: list, create (201), update (omitted fields kept)."""

from __future__ import annotations

import pytest

from textql_async import AsyncTextQL, BadRequestError, NotFoundError
from textql_async.models.members import Role
from textql_async.testing import FakeTextQL


async def test_list_includes_the_built_in_roles(fake: FakeTextQL, client: AsyncTextQL) -> None:
    roles = await client.roles.list()
    assert [(r.name, r.is_system) for r in roles] == [("admin", True), ("member", True)]
    assert all(isinstance(r, Role) and r.id for r in roles)
    assert fake.members.received[-1].path == "/v2/roles"


async def test_create_answers_201_with_the_role(fake: FakeTextQL, client: AsyncTextQL) -> None:
    role = await client.roles.create("analyst", description="Read-only analytics")
    assert (role.name, role.description, role.is_system) == (
        "analyst",
        "Read-only analytics",
        False,
    )
    assert role.created_at is not None and role.updated_at is not None
    assert fake.members.received[-1].json == {
        "name": "analyst",
        "description": "Read-only analytics",
    }
    assert [r for r in fake.responses if r.route == "/v2/roles"][-1].status == 201
    assert role.id in {r.id for r in await client.roles.list()}


async def test_create_without_description_sends_only_the_name(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    role = await client.roles.create("viewer")
    assert role.description is None
    assert fake.members.received[-1].json == {"name": "viewer"}


async def test_duplicate_name_is_a_bad_request(fake: FakeTextQL, client: AsyncTextQL) -> None:
    await client.roles.create("analyst")
    with pytest.raises(BadRequestError) as caught:
        await client.roles.create("Analyst")
    assert caught.value.code == "invalid_request" and "already exists" in caught.value.message


async def test_update_sends_only_the_given_fields(fake: FakeTextQL, client: AsyncTextQL) -> None:
    stored = fake.members.seed_role("analyst", description="keep me")
    role = await client.roles.update(stored.id, name="analysts", allowed_model_ids=[3, 5])
    assert (role.id, role.name, role.description) == (stored.id, "analysts", "keep me")
    sent = fake.members.received[-1]
    assert (sent.method, sent.path) == ("PATCH", f"/v2/roles/{stored.id}")
    assert sent.json == {"name": "analysts", "allowed_model_ids": [3, 5]}
    assert stored.allowed_model_ids == [3, 5]


async def test_update_model_settings(fake: FakeTextQL, client: AsyncTextQL) -> None:
    stored = fake.members.seed_role("analyst")
    await client.roles.update(stored.id, default_model_id=7, allow_model_choice=False)
    assert (stored.default_model_id, stored.allow_model_choice) == (7, False)
    stored.allowed_model_ids = [1]
    await client.roles.update(stored.id, default_model_id=0, clear_allowed_model_ids=True)
    assert fake.members.received[-1].json == {
        "default_model_id": 0,
        "clear_allowed_model_ids": True,
    }
    assert stored.default_model_id is None and stored.allowed_model_ids is None


async def test_a_renamed_role_shows_in_members(fake: FakeTextQL, client: AsyncTextQL) -> None:
    member = fake.members.seed_member("ana@acme.example", roles=("member",))
    stored = fake.members.seed_role("analyst")
    await client.members.assign(member.id, stored.id)
    await client.roles.update(stored.id, name="senior analyst")
    [listed] = await client.members.list()
    assert listed.roles == ["member", "senior analyst"]


async def test_unknown_role_is_not_found(fake: FakeTextQL, client: AsyncTextQL) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(NotFoundError) as caught:
        await client.roles.update(missing, name="x")
    assert caught.value.status == 404 and caught.value.code == "not_found"


async def test_built_in_role_cannot_be_renamed(fake: FakeTextQL, client: AsyncTextQL) -> None:
    admin = fake.members.role_named("admin")
    with pytest.raises(BadRequestError):
        await client.roles.update(admin.id, name="superuser")
    assert admin.name == "admin"
    role = await client.roles.update(admin.id, allow_model_choice=False)  # settings may change
    assert role.name == "admin" and admin.allow_model_choice is False
