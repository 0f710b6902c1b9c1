"""client.changes: bad arguments never leave the client, error statuses map to typed errors."""

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
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
)
from textql_async.testing import FakeTextQL, HTTPError

BAD_CALLS: list[tuple[str, Callable[[AsyncTextQL], Awaitable[Any]], type[Exception]]] = [
    ("empty id", lambda c: c.changes.get(""), ValueError),
    ("blank id", lambda c: c.changes.approve("  ", "ref"), ValueError),
    ("id not a str", lambda c: c.changes.deny(7, "ref"), TypeError),
    ("empty git ref", lambda c: c.changes.approve("id", ""), ValueError),
    ("git ref not a str", lambda c: c.changes.restore("id", None), TypeError),
    ("revision 0", lambda c: c.changes.get("id", revision=0), ValueError),
    ("revision bool", lambda c: c.changes.get("id", revision=True), TypeError),
    ("page_size 0", lambda c: c.changes.list(page_size=0), ValueError),
    ("page_size str", lambda c: c.changes.list(page_size="10"), TypeError),
    ("empty status", lambda c: c.changes.list(status=""), ValueError),
    ("no statuses", lambda c: c.changes.list(status=[]), ValueError),
    ("status not str", lambda c: c.changes.list(status=[1]), TypeError),
    ("status a set", lambda c: c.changes.list(status={"open"}), TypeError),
    ("empty page token", lambda c: c.changes.list(page_token=""), ValueError),
    ("auto not bool", lambda c: c.changes.list(include_auto_approved="yes"), TypeError),
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


def test_iter_checks_arguments_when_called() -> None:
    client = AsyncTextQL(api_key="k", base_url="http://127.0.0.1:9")
    with pytest.raises(ValueError):
        client.changes.iter(page_size=-1)
    with pytest.raises(TypeError):
        client.changes.iter(status=[None])  # type: ignore[list-item]


async def test_stale_git_ref_is_a_conflict(fake: FakeTextQL, client: AsyncTextQL) -> None:
    stored = fake.changes.seed()
    reviewed = stored.git_ref
    fake.changes.revise(stored.id, diffs=[{"name": "edited", "new_path": "x.yaml"}])
    with pytest.raises(ConflictError) as caught:
        await client.changes.approve(stored.id, reviewed)
    assert caught.value.status == 409 and caught.value.code == "conflict"
    assert "stale" in caught.value.message
    assert stored.status == "open" and not stored.approvals  # nothing happened
    fresh = await client.changes.get(stored.id)
    assert (await client.changes.approve(stored.id, fresh.git_ref or "")).merged


@pytest.mark.parametrize(
    ("status", "action"),
    [("approved", "approve"), ("denied", "deny"), ("reserved", "approve"), ("open", "restore")],
)
async def test_wrong_state_is_a_conflict(
    fake: FakeTextQL, client: AsyncTextQL, status: str, action: str
) -> None:
    stored = fake.changes.seed(status=status)
    with pytest.raises(ConflictError) as caught:
        await getattr(client.changes, action)(stored.id, stored.git_ref)
    assert caught.value.code == "conflict"
    assert status.upper() in caught.value.message
    assert stored.status == status


async def test_conflict_is_not_retried(fake: FakeTextQL) -> None:
    stored = fake.changes.seed(status="approved")
    async with fake.client(max_retries=3) as client:
        with pytest.raises(ConflictError):
            await client.changes.deny(stored.id, stored.git_ref)
    assert len(fake.requests) == 1


async def test_unknown_change_is_not_found(fake: FakeTextQL, client: AsyncTextQL) -> None:
    for call in (
        client.changes.get("missing"),
        client.changes.approve("missing", "ref"),
        client.changes.restore("missing", "ref"),
    ):
        with pytest.raises(NotFoundError) as caught:
            await call
        assert caught.value.code == "not_found" and "missing" in caught.value.message
    hidden = fake.changes.seed(readable=False)
    with pytest.raises(NotFoundError):
        await client.changes.get(hidden.id)
    assert [c async for c in client.changes.iter()] == []  # unreadable changes are omitted


async def test_unknown_revision_is_not_found(fake: FakeTextQL, client: AsyncTextQL) -> None:
    stored = fake.changes.seed()
    with pytest.raises(NotFoundError):
        await client.changes.get(stored.id, revision=2)


async def test_read_only_change_refuses_actions(fake: FakeTextQL, client: AsyncTextQL) -> None:
    stored = fake.changes.seed(writable=False)
    change = await client.changes.get(stored.id)
    assert change.capabilities is not None and not change.capabilities.can_approve
    with pytest.raises(PermissionDeniedError) as caught:
        await client.changes.approve(stored.id, stored.git_ref)
    assert caught.value.code == "permission_denied"


async def test_server_side_bad_request(fake: FakeTextQL, client: AsyncTextQL) -> None:
    with pytest.raises(BadRequestError) as caught:
        await client.changes.list(page_token="not-a-token")
    assert caught.value.status == 400 and caught.value.code == "invalid_request"
    fake.inject(HTTPError(400), path="/v2/changes/x/deny")
    with pytest.raises(BadRequestError):
        await client.changes.deny("x", "ref")


async def test_wrong_key_is_an_authentication_error(fake: FakeTextQL) -> None:
    async with fake.client(api_key="wrong", max_retries=0) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.changes.list()
    assert caught.value.code == "unauthenticated"


async def test_unknown_fields_and_enum_values_are_tolerated(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    page = {
        "changes": [
            {
                "id": "c1",
                "status": "archived",
                "review_lane": "fast",
                "diffs": [{"name": "x", "is_symlink": True, "additions": 1}],
                "capabilities": {"can_approve": True, "can_comment": True},
            }
        ],
        "counts": {"archived": 1},
        "total_size": 1,
    }
    fake.inject(HTTPError(200, json.dumps(page).encode()), path="/v2/changes")
    result = await client.changes.list()
    change = result.changes[0]
    assert (change.id, change.status) == ("c1", "archived")
    assert change.diffs[0].additions == 1
    assert change.capabilities is not None and change.capabilities.can_approve
    assert result.counts == {"archived": 1} and result.next_page_token is None
    archived = fake.changes.seed(status="archived")  # the fake serves any stored status too
    assert (await client.changes.get(archived.id)).status == "archived"


async def test_a_body_that_is_not_a_change_is_an_api_error(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    fake.inject(HTTPError(200, b'{"id": 5, "diffs": "none"}'), path="/v2/changes/c1")
    with pytest.raises(APIError) as caught:
        await client.changes.get("c1")
    assert "unexpected response body" in caught.value.message
