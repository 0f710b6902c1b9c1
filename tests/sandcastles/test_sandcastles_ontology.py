"""The Ontology mount: diff (dry run) and writeback as a reviewable change."""

from __future__ import annotations

from typing import Any

import pytest

from textql_async import AsyncTextQL, BadRequestError, ConflictError, NotFoundError
from textql_async.testing import FakeTextQL
from textql_async.testing._v2_sandcastles_store import StoredSandbox

LIBRARY = {"metrics/revenue.tql": b"select sum(amount)\nfrom sales\n", "OWNERS": b"team-a\n"}


@pytest.fixture
def mounted(fake: FakeTextQL) -> StoredSandbox:
    """A sandbox started after the org library was set: ``library/`` is mounted and unchanged."""
    fake.sandcastles.org_library.update(LIBRARY)
    return fake.sandcastles.seed()


async def test_an_untouched_library_has_no_changes(
    client: AsyncTextQL, mounted: StoredSandbox
) -> None:
    diff = await client.sandcastles.ontology_diff(mounted.sandbox_id)
    assert (diff.has_changes, diff.diffs, diff.raw_diff) == (False, [], "")
    listed = await client.sandcastles.files(mounted.sandbox_id, "library/metrics")
    assert [f.name for f in listed] == ["revenue.tql"]


async def test_the_diff_reports_edits_made_through_exec(
    fake: FakeTextQL, client: AsyncTextQL, mounted: StoredSandbox
) -> None:
    sid = mounted.sandbox_id
    await client.sandcastles.exec(sid, "echo 'where region = 1' >> library/metrics/revenue.tql")
    await client.sandcastles.exec(sid, "echo 'select 1' > library/metrics/new.tql")
    await client.sandcastles.exec(sid, "rm library/OWNERS")
    diff = await client.sandcastles.ontology_diff(sid)
    assert diff.has_changes
    by_name = {d.name: d for d in diff.diffs}
    assert set(by_name) == {"OWNERS", "metrics/new.tql", "metrics/revenue.tql"}
    assert by_name["OWNERS"].is_delete and by_name["OWNERS"].deletions == 1
    assert by_name["metrics/new.tql"].is_new and by_name["metrics/new.tql"].additions == 1
    edited = by_name["metrics/revenue.tql"]
    assert (edited.additions, edited.deletions, edited.is_new) == (1, 0, False)
    assert edited.old_path == edited.new_path == "metrics/revenue.tql"
    assert diff.raw_diff is not None and "+where region = 1" in diff.raw_diff
    assert fake.requests[-1].path == f"/v2/sandcastles/{sid}/ontology/diff"


async def test_writeback_files_an_open_change(
    fake: FakeTextQL, client: AsyncTextQL, mounted: StoredSandbox
) -> None:
    mounted.write("library/metrics/new.tql", b"select 2\n")
    change = await client.sandcastles.ontology_changes(
        mounted.sandbox_id, title="Add new metric", description="Adds **new**."
    )
    assert change.status == "open" and change.change_number == 1
    assert change.change_id and change.git_ref == "refs/changes/1/1"
    assert not change.has_conflicts and not change.auto_approved and change.conflicts is None
    assert [d.new_path for d in change.diffs] == ["metrics/new.tql"]
    assert fake.responses[-1].status == 201
    assert fake.sandcastles.bodies[-1] == {
        "title": "Add new metric",
        "description": "Adds **new**.",
    }


async def test_draft_auto_approve_and_revisions(
    fake: FakeTextQL, client: AsyncTextQL, mounted: StoredSandbox
) -> None:
    sid = mounted.sandbox_id
    mounted.write("library/a.tql", b"select 1\n")
    draft = await client.sandcastles.ontology_changes(sid, title="t", description="d", draft=True)
    assert draft.status == "draft"
    mounted.write("library/a.tql", b"select 2\n")
    revised = await client.sandcastles.ontology_changes(sid, change_number=draft.change_number)
    assert (revised.change_number, revised.status) == (draft.change_number, "open")
    assert revised.git_ref == f"refs/changes/{draft.change_number}/2"
    assert fake.sandcastles.bodies[-1] == {"change_number": draft.change_number}
    fake.sandcastles.auto_approve = True
    approved = await client.sandcastles.ontology_changes(sid, title="other", description="d")
    assert (approved.status, approved.auto_approved) == ("approved", True)
    with pytest.raises(ConflictError) as conflict:
        await client.sandcastles.ontology_changes(sid, change_number=approved.change_number)
    assert conflict.value.code == "conflict"


async def test_a_drifted_library_reserves_the_change_until_resubmitted(
    fake: FakeTextQL, client: AsyncTextQL, mounted: StoredSandbox
) -> None:
    mounted.write("library/metrics/revenue.tql", b"select 3\n")
    fake.sandcastles.library_drifted = True
    reserved = await client.sandcastles.ontology_changes(
        mounted.sandbox_id, title="Fix revenue", description="d"
    )
    assert (reserved.status, reserved.has_conflicts) == ("reserved", True)
    assert reserved.conflicts and "metrics/revenue.tql" in reserved.conflicts
    fake.sandcastles.library_drifted = False
    again = await client.sandcastles.ontology_changes(
        mounted.sandbox_id, change_number=reserved.change_number
    )
    assert (again.status, again.has_conflicts) == ("open", False)


async def test_a_writeback_is_filed_in_the_changes_api(
    client: AsyncTextQL, mounted: StoredSandbox
) -> None:
    sid = mounted.sandbox_id
    mounted.chat_id = "chat-7"
    mounted.write("library/metrics/new.tql", b"select 2\n")
    filed = await client.sandcastles.ontology_changes(
        sid, title="Add new metric", description="Adds **new**.", draft=True
    )
    assert filed.change_id is not None
    change = await client.changes.get(filed.change_id)
    assert (change.id, change.number, change.status) == (filed.change_id, 1, "draft")
    assert (change.title, change.description) == ("Add new metric", "Adds **new**.")
    assert (change.git_ref, change.revision, change.chat_id) == ("refs/changes/1/1", 1, "chat-7")
    assert [d.new_path for d in change.diffs] == ["metrics/new.tql"]
    listed = await client.changes.list()
    assert [c.id for c in listed.changes] == [filed.change_id] and listed.counts == {"draft": 1}
    mounted.write("library/metrics/new.tql", b"select 3\n")
    revised = await client.sandcastles.ontology_changes(sid, change_number=filed.change_number)
    change = await client.changes.get(filed.change_id)
    assert (change.status, change.revision, change.git_ref) == ("open", 2, revised.git_ref)
    assert revised.git_ref == "refs/changes/1/2" and change.title == "Add new metric"
    approved = await client.changes.approve(filed.change_id, change.git_ref or "")
    assert approved.merged
    with pytest.raises(ConflictError, match="approved"):  # reviewed: no more revisions
        await client.sandcastles.ontology_changes(sid, change_number=filed.change_number)


async def test_writeback_errors(
    fake: FakeTextQL, client: AsyncTextQL, mounted: StoredSandbox
) -> None:
    with pytest.raises(BadRequestError, match="no changes"):
        await client.sandcastles.ontology_changes(mounted.sandbox_id, title="t", description="d")
    mounted.write("library/x.tql", b"x\n")
    with pytest.raises(NotFoundError):
        await client.sandcastles.ontology_changes(mounted.sandbox_id, change_number=42)
    await client.sandcastles.stop(mounted.sandbox_id)
    with pytest.raises(NotFoundError, match="not running"):
        await client.sandcastles.ontology_diff(mounted.sandbox_id)


BAD_CHANGES: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({}, ValueError, "title and a description"),
    ({"title": "t"}, ValueError, "title and a description"),
    ({"title": "x" * 51, "description": "d"}, ValueError, "at most 50"),
    ({"title": " ", "description": "d"}, ValueError, "title"),
    ({"title": "t", "description": "d", "draft": "yes"}, TypeError, "draft"),
    ({"change_number": 0}, ValueError, "change_number"),
    ({"change_number": "3"}, TypeError, "change_number"),
]


@pytest.mark.parametrize(("kwargs", "error", "match"), BAD_CHANGES)
async def test_writeback_arguments_are_checked_before_any_request(
    fake: FakeTextQL,
    client: AsyncTextQL,
    mounted: StoredSandbox,
    kwargs: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    with pytest.raises(error, match=match):
        await client.sandcastles.ontology_changes(mounted.sandbox_id, **kwargs)
    assert fake.requests == []
