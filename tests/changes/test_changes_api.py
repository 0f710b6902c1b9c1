"""client.changes against the fake: listing, lazy page-token paging, get, and the review actions."""

from __future__ import annotations

import datetime as dt

import pytest

from textql_async import AsyncTextQL, NotFoundError
from textql_async.models.changes import Change, ChangePage
from textql_async.testing import FakeTextQL


async def test_list_sends_repeated_status_and_page_params(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    fake.changes.seed("a", status="open")
    fake.changes.seed("b", status="draft")
    fake.changes.seed("c", status="approved")
    page = await client.changes.list(
        status=["open", "DRAFT"], page_size=10, include_auto_approved=True
    )
    assert isinstance(page, ChangePage)
    assert sorted(c.title or "" for c in page.changes) == ["a", "b"]
    assert page.next_page_token is None
    assert page.counts == {"open": 1, "draft": 1, "approved": 1}
    sent = fake.changes.received[-1]
    assert sent.method == "GET" and sent.path == "/v2/changes"
    assert sent.query == [
        ("status", "open"),
        ("status", "draft"),  # lower-cased: the spec's enum values
        ("page_size", "10"),
        ("include_auto_approved", "true"),
    ]


async def test_list_without_arguments_sends_no_query(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    fake.changes.seed("only")
    page = await client.changes.list(status="open")
    assert [c.title for c in page.changes] == ["only"]
    await client.changes.list()
    assert fake.changes.received[-1].query == []


async def test_pages_follow_next_page_token(fake: FakeTextQL, client: AsyncTextQL) -> None:
    for i in range(5):
        fake.changes.seed(f"change {i}")
    first = await client.changes.list(page_size=2)
    assert [c.number for c in first.changes] == [5, 4]  # newest first
    assert first.next_page_token
    second = await client.changes.list(page_size=2, page_token=first.next_page_token)
    assert [c.number for c in second.changes] == [3, 2]
    assert fake.changes.received[-1].query[-1] == ("page_token", first.next_page_token)


async def test_iter_fetches_pages_lazily(fake: FakeTextQL, client: AsyncTextQL) -> None:
    for i in range(5):
        fake.changes.seed(f"change {i}", status="open" if i % 2 else "draft")
    fake.changes.seed("approved one", status="approved")
    walk = client.changes.iter(status=("open", "draft"), page_size=2)
    assert fake.changes.received == []  # nothing is fetched before iterating
    first = await walk.__anext__()
    assert first.number == 5 and len(fake.changes.received) == 1
    rest = [c.number async for c in walk]
    assert rest == [4, 3, 2, 1]
    tokens = [dict(r.query).get("page_token") for r in fake.changes.received]
    assert tokens[0] is None and all(tokens[1:]) and len(tokens) == 3
    assert all(("status", "open") in r.query for r in fake.changes.received)


async def test_iter_stops_early_without_fetching_more(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    for i in range(6):
        fake.changes.seed(f"change {i}")
    seen = []
    async for change in client.changes.iter(page_size=2):
        seen.append(change.number)
        if len(seen) == 3:
            break
    assert seen == [6, 5, 4]
    assert len(fake.changes.received) == 2


async def test_auto_approved_changes_are_hidden_unless_asked(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    fake.changes.seed("manual", status="approved")
    fake.changes.seed("auto", status="approved", auto_approved=True)
    assert [c.title async for c in client.changes.iter()] == ["manual"]
    everything = [c.title async for c in client.changes.iter(include_auto_approved=True)]
    assert everything == ["auto", "manual"]


async def test_get_returns_the_typed_change(fake: FakeTextQL, client: AsyncTextQL) -> None:
    stored = fake.changes.seed(
        "Add churn metric",
        description="New metric",
        ai_generated=True,
        chat_id="chat-1",
        required_approvals=2,
        diffs=[{"name": "churn", "old_path": "a.yaml", "new_path": "b.yaml", "is_rename": True,
                "additions": "7", "deletions": 1}],
    )
    change = await client.changes.get(stored.id)
    assert isinstance(change, Change)
    assert (change.id, change.title, change.status) == (stored.id, "Add churn metric", "open")
    assert change.git_ref == stored.git_ref and change.revision == 1
    assert change.ai_generated and change.chat_id == "chat-1"
    assert (change.approval_count, change.required_approvals) == (0, 2)
    assert isinstance(change.created_at, dt.datetime) and change.created_at.tzinfo is not None
    diff = change.diffs[0]
    assert diff.is_rename and diff.additions == 7  # an int64 sent as a string still parses
    assert change.capabilities is not None and change.capabilities.can_approve
    assert not change.capabilities.can_restore
    assert fake.changes.received[-1].path == f"/v2/changes/{stored.id}"


async def test_get_a_historical_revision(fake: FakeTextQL, client: AsyncTextQL) -> None:
    stored = fake.changes.seed("v1 title")
    first_ref = stored.git_ref
    fake.changes.revise(stored.id, title="v2 title")
    latest = await client.changes.get(stored.id)
    old = await client.changes.get(stored.id, revision=1)
    assert (latest.revision, latest.title) == (2, "v2 title")
    assert (old.revision, old.title, old.git_ref) == (1, "v1 title", first_ref)
    assert fake.changes.received[-1].query == [("revision", "1")]


async def test_approve_merges_and_reports_counts(fake: FakeTextQL, client: AsyncTextQL) -> None:
    stored = fake.changes.seed()
    result = await client.changes.approve(stored.id, stored.git_ref)
    assert result.merged and not result.already_approved
    assert (result.approval_count, result.required_approvals) == (1, 1)
    assert stored.status == "approved"
    sent = fake.changes.received[-1]
    assert (sent.method, sent.path) == ("POST", f"/v2/changes/{stored.id}/approve")
    assert sent.json == {"expected_git_ref": stored.git_ref}
    change = await client.changes.get(stored.id)
    assert change.status == "approved" and change.capabilities is None


async def test_approval_short_of_the_rule_does_not_merge(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    stored = fake.changes.seed(required_approvals=2)
    first = await client.changes.approve(stored.id, stored.git_ref)
    again = await client.changes.approve(stored.id, stored.git_ref)
    assert not first.merged and not again.merged
    assert again.already_approved and again.approval_count == 1
    change = await client.changes.get(stored.id)
    assert change.status == "open"
    assert change.capabilities is not None and change.capabilities.caller_approved


async def test_deny_then_restore_round_trip(fake: FakeTextQL, client: AsyncTextQL) -> None:
    stored = fake.changes.seed(status="draft")
    denied = await client.changes.deny(stored.id, stored.git_ref)
    assert denied.success
    change = await client.changes.get(stored.id)
    assert change.status == "denied" and change.git_ref == stored.git_ref  # the ref is kept
    assert change.capabilities is not None and change.capabilities.can_restore
    restored = await client.changes.restore(change.id or "", change.git_ref or "")
    assert restored.success
    assert (await client.changes.get(stored.id)).status == "open"
    assert [r.path.rsplit("/", 1)[-1] for r in fake.changes.received if r.method == "POST"] == [
        "deny",
        "restore",
    ]


async def test_ids_are_escaped_in_the_path(client: AsyncTextQL) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.changes.get("a/b c")
    assert "change a/b c not found" in caught.value.message  # one path segment, not two
