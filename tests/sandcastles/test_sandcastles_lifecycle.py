"""Start, list (cursor pages, lazily), status, stop and restart sandboxes."""

from __future__ import annotations

from typing import Any

import pytest

from textql_async import AsyncTextQL, BadRequestError, NotFoundError, PermissionDeniedError
from textql_async.testing import FakeTextQL
from textql_async.testing._v2_sandcastles_store import StoredSandbox


async def test_start_creates_a_running_sandbox_that_lists_and_reports_running(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    started = await client.sandcastles.start()
    assert started.sandbox_id is not None and started.created_at is not None
    request = fake.requests[-1]
    assert (request.method, request.path) == ("POST", "/v2/sandcastles")
    assert fake.responses[-1].status == 201
    assert fake.sandcastles.bodies == [None]  # a new sandbox: no body at all

    page = await client.sandcastles.list()
    assert [s.sandbox_id for s in page.sandboxes] == [started.sandbox_id]
    assert page.sandboxes[0].status == "running"
    assert page.sandboxes[0].member_id == fake.member_id
    assert page.next_cursor is None

    status = await client.sandcastles.status(started.sandbox_id)
    assert status.running and status.status == "running"
    assert status.memory_usage and status.dataframes == []


async def test_stop_releases_the_lease_and_status_says_stopped(
    fake: FakeTextQL, client: AsyncTextQL, box: StoredSandbox
) -> None:
    assert await client.sandcastles.stop(box.sandbox_id) is True
    status = await client.sandcastles.status(box.sandbox_id)
    assert status.status == "stopped" and not status.running
    assert status.memory_usage is None
    assert (await client.sandcastles.list()).sandboxes == []
    stopped = (await client.sandcastles.list(status="stopped")).sandboxes
    assert [s.sandbox_id for s in stopped] == [box.sandbox_id]
    assert stopped[0].released_at is not None
    assert await client.sandcastles.stop(box.sandbox_id) is True  # stopping again is harmless
    assert fake.requests[0].method == "DELETE"
    assert fake.requests[0].path == f"/v2/sandcastles/{box.sandbox_id}"


async def test_restart_gives_a_fresh_kernel_and_keeps_the_id(
    fake: FakeTextQL, client: AsyncTextQL, box: StoredSandbox
) -> None:
    await client.sandcastles.execute(box.sandbox_id, "x = 1")
    await client.sandcastles.stop(box.sandbox_id)
    again = await client.sandcastles.start(box.sandbox_id)
    assert again.sandbox_id == box.sandbox_id
    assert fake.sandcastles.bodies[-1] == {"sandbox_id": box.sandbox_id}
    assert (await client.sandcastles.status(box.sandbox_id)).running
    result = await client.sandcastles.execute(box.sandbox_id, "print(x)")
    assert result.error == "executing Python code: NameError(\"name 'x' is not defined\")"


async def test_restarting_someone_elses_or_an_unknown_sandbox_fails(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    theirs = fake.sandcastles.seed("stopped", member_id="someone-else")
    with pytest.raises(PermissionDeniedError) as denied:
        await client.sandcastles.start(theirs.sandbox_id)
    assert denied.value.code == "permission_denied"
    with pytest.raises(NotFoundError):
        await client.sandcastles.start("sbx_missing")
    with pytest.raises(NotFoundError):
        await client.sandcastles.status("sbx_missing")
    with pytest.raises(NotFoundError):
        await client.sandcastles.stop("sbx_missing")
    assert theirs.released_at is not None  # untouched


async def test_list_filters_by_lease_and_reports_liveness(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    running = fake.sandcastles.seed("running")
    stale = fake.sandcastles.seed("stale")
    unknown = fake.sandcastles.seed("unknown")
    stopped = fake.sandcastles.seed("stopped")
    open_leases = {s.sandbox_id: s.status for s in (await client.sandcastles.list()).sandboxes}
    assert open_leases == {
        running.sandbox_id: "running",
        stale.sandbox_id: "stale",
        unknown.sandbox_id: "unknown",
    }
    released = (await client.sandcastles.list(status="stopped")).sandboxes
    assert [s.sandbox_id for s in released] == [stopped.sandbox_id]
    every = (await client.sandcastles.list(status="all")).sandboxes
    assert len(every) == 4
    assert [r.query.get("status") for r in fake.requests] == [None, "stopped", "all"]
    # the single-sandbox check is authoritative: a stale lease has no live worker
    assert (await client.sandcastles.status(stale.sandbox_id)).status == "stopped"
    assert (await client.sandcastles.stop(stale.sandbox_id)) is True


async def test_list_pages_follow_next_cursor(fake: FakeTextQL, client: AsyncTextQL) -> None:
    seeded = [fake.sandcastles.seed() for _ in range(5)]
    newest_first = [s.sandbox_id for s in reversed(seeded)]
    first = await client.sandcastles.list(limit=2)
    assert [s.sandbox_id for s in first.sandboxes] == newest_first[:2]
    assert first.next_cursor
    second = await client.sandcastles.list(limit=2, cursor=first.next_cursor)
    assert [s.sandbox_id for s in second.sandboxes] == newest_first[2:4]
    assert second.next_cursor
    last = await client.sandcastles.list(limit=2, cursor=second.next_cursor)
    assert [s.sandbox_id for s in last.sandboxes] == newest_first[4:]
    assert last.next_cursor is None
    assert fake.requests[1].query == {"limit": "2", "cursor": first.next_cursor}


async def test_iter_fetches_pages_lazily(fake: FakeTextQL, client: AsyncTextQL) -> None:
    seeded = [fake.sandcastles.seed() for _ in range(5)]
    iterator = client.sandcastles.iter(status="all", page_size=2)
    assert fake.requests == []  # nothing is sent before iterating
    first = await iterator.__anext__()
    assert first.sandbox_id == seeded[-1].sandbox_id
    assert len(fake.requests) == 1
    rest = [s.sandbox_id async for s in iterator]
    assert [first.sandbox_id, *rest] == [s.sandbox_id for s in reversed(seeded)]
    assert len(fake.requests) == 3
    assert all(r.query["status"] == "all" and r.query["limit"] == "2" for r in fake.requests)


async def test_a_bad_cursor_is_a_server_validation_error(client: AsyncTextQL) -> None:
    with pytest.raises(BadRequestError) as caught:
        await client.sandcastles.list(cursor="not-a-cursor")
    assert caught.value.code == "invalid_request"
    assert "cursor" in caught.value.message


BAD_LIST_ARGS: list[tuple[dict[str, Any], type[Exception]]] = [
    ({"status": "paused"}, ValueError),
    ({"limit": 0}, ValueError),
    ({"limit": 201}, ValueError),
    ({"limit": "10"}, TypeError),
    ({"limit": True}, TypeError),
    ({"cursor": ""}, ValueError),
    ({"cursor": 5}, TypeError),
]


@pytest.mark.parametrize(("kwargs", "error"), BAD_LIST_ARGS)
async def test_list_arguments_are_checked_before_any_request(
    fake: FakeTextQL, client: AsyncTextQL, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        await client.sandcastles.list(**kwargs)
    if "cursor" not in kwargs:
        with pytest.raises(error):
            client.sandcastles.iter(status=kwargs.get("status"), page_size=kwargs.get("limit", 50))
    assert fake.requests == []


@pytest.mark.parametrize(
    ("bad", "error"), [("", ValueError), ("..", ValueError), (None, TypeError), (7, TypeError)]
)
async def test_sandbox_ids_are_checked_before_any_request(
    fake: FakeTextQL, client: AsyncTextQL, bad: Any, error: type[Exception]
) -> None:
    calls = [
        client.sandcastles.status(bad),
        client.sandcastles.stop(bad),
        client.sandcastles.executions(bad),
        client.sandcastles.execute(bad, "print(1)"),
        client.sandcastles.exec(bad, "ls"),
        client.sandcastles.query(bad, connector_id=1, query="select 1"),
        client.sandcastles.files(bad),
        client.sandcastles.download(bad, "a.csv"),
        client.sandcastles.delete_file(bad, "a.csv"),
        client.sandcastles.upload(bad, ("a.csv", b"x")),
        client.sandcastles.ontology_diff(bad),
        client.sandcastles.ontology_changes(bad, title="t", description="d"),
    ]
    for call in calls:
        with pytest.raises(error, match="sandbox_id"):
            await call
    with pytest.raises(error, match="sandbox_id"):
        client.sandcastles.iter_executions(bad)
    assert fake.requests == []


async def test_an_id_with_a_slash_stays_one_path_segment(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    with pytest.raises(NotFoundError):
        await client.sandcastles.status("a/b")
    assert fake.requests[0].path == "/v2/sandcastles/a/b"  # decoded by the server...
    assert fake.responses[0].route == "/v2/sandcastles/{id}"  # ...but routed as one id
