"""client.members against the fake: list, invite, remove (soft / hard), role assignment."""

from __future__ import annotations

import datetime as dt

from textql_async import AsyncTextQL
from textql_async.models.members import Member, MemberRoleResult, Role
from textql_async.testing import FakeTextQL


async def test_list_returns_human_members_with_role_names(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    jane = fake.members.seed_member("jane@acme.example", name="Jane Doe", roles=("admin",))
    fake.members.seed_member("bob@acme.example")
    fake.members.seed_member("bot@acme.example", service_account=True)
    members = await client.members.list()
    assert all(isinstance(m, Member) for m in members)
    assert [m.email for m in members] == ["jane@acme.example", "bob@acme.example"]
    first = members[0]
    assert (first.id, first.name, first.roles) == (jane.id, "Jane Doe", ["admin"])
    assert first.is_admin and not first.is_service_account and not first.is_scim_managed
    assert isinstance(first.created_at, dt.datetime)
    assert members[1].roles == ["member"] and not members[1].is_admin
    sent = fake.members.received[-1]
    assert (sent.method, sent.path, sent.query, sent.json) == ("GET", "/v2/members", [], None)


async def test_invite_creates_a_pending_member(fake: FakeTextQL, client: AsyncTextQL) -> None:
    result = await client.members.invite("new@acme.example")
    assert result.success
    assert fake.members.received[-1].json == {"email": "new@acme.example"}  # role omitted
    stored = fake.members.member_by_email("new@acme.example")
    assert stored is not None and stored.pending
    listed = await client.members.list()
    assert [(m.email, m.roles, m.is_admin) for m in listed] == [
        ("new@acme.example", ["member"], False)
    ]


async def test_invite_as_admin_sends_the_role(fake: FakeTextQL, client: AsyncTextQL) -> None:
    await client.members.invite(" boss@acme.example ", role="admin")
    assert fake.members.received[-1].json == {"email": "boss@acme.example", "role": "admin"}
    [boss] = await client.members.list()
    assert boss.is_admin and boss.roles == ["admin"]


async def test_soft_remove_hides_the_member_and_allows_a_new_invite(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    member = fake.members.seed_member("leaver@acme.example")
    result = await client.members.remove(member.id)
    assert (result.id, result.success) == (member.id, True)
    sent = fake.members.received[-1]
    assert (sent.method, sent.path, sent.query) == ("DELETE", f"/v2/members/{member.id}", [])
    assert await client.members.list() == []
    assert fake.members.members[member.id].deleted  # still stored: a soft delete
    assert (await client.members.invite("leaver@acme.example")).success
    [back] = await client.members.list()
    assert back.id == member.id


async def test_hard_remove_purges_the_member(fake: FakeTextQL, client: AsyncTextQL) -> None:
    member = fake.members.seed_member("gone@acme.example")
    result = await client.members.remove(member.id, hard_delete=True)
    assert result.success
    assert fake.members.received[-1].query == [("hard_delete", "true")]
    assert member.id not in fake.members.members


async def test_assign_and_unassign_show_in_the_member(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    member = fake.members.seed_member("ana@acme.example")
    analyst = fake.members.seed_role("analyst")
    assigned = await client.members.assign(member.id, analyst.id)
    assert assigned == MemberRoleResult(member_id=member.id, role_id=analyst.id, success=True)
    sent = fake.members.received[-1]
    assert (sent.method, sent.path) == ("POST", f"/v2/members/{member.id}/roles")
    assert sent.json == {"roleId": analyst.id}  # camelCase on the wire, as the spec says
    roles = await client.members.roles(member.id)
    assert all(isinstance(r, Role) for r in roles)
    assert [(r.name, r.is_system) for r in roles] == [("member", True), ("analyst", False)]
    [listed] = await client.members.list()
    assert listed.roles == ["member", "analyst"]
    removed = await client.members.unassign(member.id, analyst.id)
    assert removed.success and removed.role_id == analyst.id
    sent = fake.members.received[-1]
    assert (sent.method, sent.path) == ("DELETE", f"/v2/members/{member.id}/roles/{analyst.id}")
    assert [r.name for r in await client.members.roles(member.id)] == ["member"]


async def test_assigning_twice_keeps_one_assignment(fake: FakeTextQL, client: AsyncTextQL) -> None:
    member = fake.members.seed_member("ana@acme.example")
    analyst = fake.members.seed_role("analyst")
    await client.members.assign(member.id, analyst.id)
    await client.members.assign(member.id, analyst.id)
    assert fake.members.role_names(member) == ["member", "analyst"]


async def test_granting_the_admin_role_makes_an_admin(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    member = fake.members.seed_member("ana@acme.example")
    admin = next(r for r in await client.roles.list() if r.name == "admin")
    await client.members.assign(member.id, admin.id or "")
    [listed] = await client.members.list()
    assert listed.is_admin
