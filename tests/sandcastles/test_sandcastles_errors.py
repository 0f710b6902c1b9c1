"""Error mapping, retries (only what is safe), and lenient decoding of what the server sends."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import pytest

from textql_async import (
    APIError,
    AsyncTextQL,
    AuthenticationError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from textql_async.testing import FakeTextQL, HTTPError
from textql_async.testing._v2_sandcastles_store import StoredSandbox

Call = Callable[[AsyncTextQL, str], Awaitable[object]]

CALLS: list[Call] = [
    lambda c, sid: c.sandcastles.start(),
    lambda c, sid: c.sandcastles.list(),
    lambda c, sid: c.sandcastles.status(sid),
    lambda c, sid: c.sandcastles.stop(sid),
    lambda c, sid: c.sandcastles.executions(sid),
    lambda c, sid: c.sandcastles.execute(sid, "print(1)"),
    lambda c, sid: c.sandcastles.query(sid, connector_id=1, query="select 1"),
    lambda c, sid: c.sandcastles.exec(sid, "ls"),
    lambda c, sid: c.sandcastles.files(sid),
    lambda c, sid: c.sandcastles.upload(sid, ("a.csv", b"x")),
    lambda c, sid: c.sandcastles.download(sid, "a.csv"),
    lambda c, sid: c.sandcastles.delete_file(sid, "a.csv"),
    lambda c, sid: c.sandcastles.ontology_diff(sid),
    lambda c, sid: c.sandcastles.ontology_changes(sid, title="t", description="d"),
]


@pytest.mark.parametrize("call", CALLS)
async def test_a_wrong_key_is_an_authentication_error(
    fake: FakeTextQL, box: StoredSandbox, call: Call
) -> None:
    async with fake.client(api_key="wrong", max_retries=0) as client:
        with pytest.raises(AuthenticationError) as caught:
            await call(client, box.sandbox_id)
    assert caught.value.status == 401 and caught.value.code == "unauthenticated"
    assert box.running and box.executions == [] and "a.csv" not in box.files
    assert fake.sandcastles.bodies == []


async def test_statuses_map_to_typed_errors(
    fake: FakeTextQL, client: AsyncTextQL, box: StoredSandbox
) -> None:
    fake.inject(HTTPError(403), path="/v2/sandcastles")
    with pytest.raises(PermissionDeniedError):
        await client.sandcastles.list()
    fake.inject(HTTPError(429, headers={"Retry-After": "7"}))
    with pytest.raises(RateLimitError) as limited:
        await client.sandcastles.status(box.sandbox_id)
    assert limited.value.retry_after == 7.0
    fake.inject(HTTPError(500))
    with pytest.raises(ServerError):
        await client.sandcastles.exec(box.sandbox_id, "ls")


async def test_reads_are_retried_but_code_is_never_run_twice(
    fake: FakeTextQL, box: StoredSandbox
) -> None:
    box.write("a.csv", b"x,y\n")
    retry_now = HTTPError(503, headers={"Retry-After": "0"})
    async with fake.client(max_retries=2) as client:
        fake.inject(retry_now)
        assert (await client.sandcastles.status(box.sandbox_id)).running
        fake.inject(retry_now)
        download = await client.sandcastles.download(box.sandbox_id, "a.csv")
        assert b"".join([c async for c in download]) == b"x,y\n"
        assert len(fake.requests) == 4
        for call in (
            lambda: client.sandcastles.execute(box.sandbox_id, "print(1)"),
            lambda: client.sandcastles.exec(box.sandbox_id, "echo hi"),
            lambda: client.sandcastles.upload(box.sandbox_id, ("b.csv", b"1")),
            lambda: client.sandcastles.start(),
        ):
            fake.inject(retry_now)
            sent = len(fake.requests)
            with pytest.raises(ServerError):
                await call()
            assert len(fake.requests) == sent + 1
    assert box.executions == [] and "b.csv" not in box.files


def _ok(body: object) -> HTTPError:
    """A 200 with exactly this JSON body (to send fields and values the spec does not know)."""
    return HTTPError(200, json.dumps(body).encode())


async def test_unknown_fields_and_enum_values_are_tolerated(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    fake.inject(
        _ok(
            {
                "sandboxes": [{"sandbox_id": "s", "status": "hibernating", "gpu": "a100"}],
                "next_cursor": None,
                "region": "eu",
            }
        )
    )
    page = await client.sandcastles.list()
    assert page.sandboxes[0].status == "hibernating" and page.next_cursor is None
    fake.inject(
        _ok({"status": "paused", "dataframes": [{"name": "df", "num_rows": "12", "dtype": "x"}]})
    )
    status = await client.sandcastles.status("s")
    assert status.status == "paused" and not status.running
    assert status.dataframes[0].num_rows == 12  # an int64 sent as a string
    fake.inject(
        _ok(
            {
                "executions": [{"id": "e", "kind": "r", "source": "notebook", "duration_ms": "9"}],
                "next_cursor": "",
            }
        )
    )
    runs = await client.sandcastles.executions("s")
    assert (runs.executions[0].kind, runs.executions[0].source) == ("r", "notebook")
    assert runs.executions[0].duration_ms == 9
    fake.inject(_ok({"exit_code": 2, "signal": "SIGTERM"}))
    result = await client.sandcastles.exec("s", "ls")
    assert (result.stdout, result.stderr, result.exit_code) == ("", "", 2)
    fake.inject(_ok({"status": "merged", "change_number": "4", "extra": [1]}))
    change = await client.sandcastles.ontology_changes("s", change_number=4)
    assert (change.status, change.change_number, change.diffs) == ("merged", 4, [])


async def test_an_empty_listing_needs_its_required_array(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    fake.inject(_ok({"next_cursor": None}))
    with pytest.raises(APIError, match="unexpected response body"):
        await client.sandcastles.list()
    fake.inject(HTTPError(200, b"<html>login</html>", content_type="text/html"))
    with pytest.raises(APIError, match="unexpected response body"):
        await client.sandcastles.execute("s", "print(1)")
