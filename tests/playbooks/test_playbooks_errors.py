"""Bad arguments fail before any request; server errors map to the typed error tree."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from textql_async import (
    APITimeoutError,
    AsyncTextQL,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    RetryPolicy,
    ServerError,
)
from textql_async.testing import FakeTextQL, HTTPError

ID = "8f14e45f-ceea-467f-a0e6-4d3b1c6f9a10"
Call = Callable[[AsyncTextQL], Awaitable[Any]]


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda c: c.playbooks.get("not-a-uuid"), ValueError),
        (lambda c: c.playbooks.get(""), ValueError),
        (lambda c: c.playbooks.get(42), TypeError),
        (lambda c: c.playbooks.delete("12345"), ValueError),
        (lambda c: c.playbooks.deploy("../../v2/chats"), ValueError),
        (lambda c: c.playbooks.run("x"), ValueError),
        (lambda c: c.playbooks.run(ID, dry_run="yes"), TypeError),
        (lambda c: c.playbooks.get(ID, limit=0), ValueError),
        (lambda c: c.playbooks.get(ID, offset=-1), ValueError),
        (lambda c: c.playbooks.list(limit=0), ValueError),
        (lambda c: c.playbooks.list(limit=True), TypeError),
        (lambda c: c.playbooks.list(offset=-5), ValueError),
        (lambda c: c.playbooks.list(sort_by="owner"), ValueError),
        (lambda c: c.playbooks.list(sort_direction="up"), ValueError),
        (lambda c: c.playbooks.list(status_filter="paused"), ValueError),
        (lambda c: c.playbooks.list(search_term=3), TypeError),
        (lambda c: c.playbooks.update(ID), ValueError),
        (lambda c: c.playbooks.update(ID, name=""), ValueError),
        (lambda c: c.playbooks.update(ID, name="  "), ValueError),
        (lambda c: c.playbooks.update(ID, prompt=5), TypeError),
        (lambda c: c.playbooks.update(ID, connector_ids=[0]), ValueError),
        (lambda c: c.playbooks.update(ID, connector_ids=["3"]), TypeError),
        (lambda c: c.playbooks.update(ID, connector_ids=[True]), TypeError),
        (lambda c: c.playbooks.update(ID, connector_ids=[2**31]), ValueError),
        (lambda c: c.playbooks.update(ID, email_addresses="cfo@example.com"), TypeError),
        (lambda c: c.playbooks.update(ID, email_addresses=[""]), ValueError),
        (lambda c: c.playbooks.update(ID, dataset_ids=[None]), TypeError),
    ],
)
async def test_bad_arguments_fail_before_any_request(
    fake: FakeTextQL, client: AsyncTextQL, call: Call, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await call(client)
    assert fake.requests == []


@pytest.mark.parametrize(
    "make",
    [
        lambda c: c.playbooks.iter(page_size=0),
        lambda c: c.playbooks.iter(sort_by="size"),
        lambda c: c.playbooks.iter_reports("nope"),
        lambda c: c.playbooks.iter_reports(ID, page_size=-1),
    ],
)
async def test_bad_iter_arguments_fail_when_called(
    fake: FakeTextQL, client: AsyncTextQL, make: Callable[[AsyncTextQL], object]
) -> None:
    with pytest.raises(ValueError):
        make(client)
    assert fake.requests == []


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [
        ({"cron_string": "every monday"}, "cron"),
        ({"email_addresses": ["not-an-address"]}, "email"),
    ],
)
async def test_server_validation_is_a_bad_request_and_changes_nothing(
    fake: FakeTextQL, client: AsyncTextQL, fields: dict[str, Any], complaint: str
) -> None:
    stored = fake.playbooks.seed("Keep me")
    with pytest.raises(BadRequestError) as caught:
        await client.playbooks.update(stored.id, name="Changed", **fields)
    assert caught.value.status == 400 and caught.value.code == "invalid_request"
    assert complaint in caught.value.message
    assert stored.name == "Keep me"


async def test_running_a_playbook_without_prompt_is_a_bad_request(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    playbook = await client.playbooks.create()
    assert playbook.id is not None
    for dry_run in (True, False):
        with pytest.raises(BadRequestError, match="no prompt"):
            await client.playbooks.run(playbook.id, dry_run=dry_run)
    assert fake.playbooks.runs == []


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.playbooks.get(ID),
        lambda c: c.playbooks.update(ID, name="x"),
        lambda c: c.playbooks.delete(ID),
        lambda c: c.playbooks.deploy(ID),
        lambda c: c.playbooks.run(ID),
    ],
)
async def test_unknown_playbook_is_not_found(fake: FakeTextQL, client: AsyncTextQL, call: Call) -> None:
    with pytest.raises(NotFoundError) as caught:
        await call(client)
    assert caught.value.code == "not_found" and ID in caught.value.message


async def test_wrong_key_is_an_authentication_error(fake: FakeTextQL) -> None:
    stored = fake.playbooks.seed()
    async with fake.client(api_key="wrong-key", max_retries=0) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.playbooks.list()
        with pytest.raises(AuthenticationError):
            await client.playbooks.run(stored.id)
    assert caught.value.status == 401 and caught.value.code == "unauthenticated"
    assert "wrong-key" not in str(caught.value)
    assert fake.playbooks.runs == []


async def test_a_run_timeout_is_an_api_timeout_error_and_is_not_retried(
    fake: FakeTextQL,
) -> None:
    stored = fake.playbooks.seed("Slow")
    fake.playbooks.time_out_runs()
    async with fake.client(max_retries=3) as client:
        with pytest.raises(APITimeoutError) as caught:
            await client.playbooks.run(stored.id)
    error = caught.value
    assert isinstance(error.__cause__, ServerError)
    assert error.__cause__.status == 504 and error.__cause__.code == "timeout"
    assert error.recoverable and "not retried" in str(error)
    run_requests = [r for r in fake.requests if r.path.endswith("/run")]
    assert len(run_requests) == 1  # a retry would have run the playbook twice
    assert fake.playbooks.runs == [stored.id]
    # the run finished server-side: its report is there to be found
    async with fake.client() as client:
        detail = await client.playbooks.get(stored.id)
    assert [r.subject for r in detail.reports] == ["Slow: report #1"]


async def test_a_gateway_504_page_is_an_api_timeout_error(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    stored = fake.playbooks.seed()
    path = f"/v2/playbooks/{stored.id}/run"
    fake.inject(HTTPError(504, b"<html><title>Gateway Timeout</title></html>", "text/html"), path=path)
    with pytest.raises(APITimeoutError) as caught:
        await client.playbooks.run(stored.id)
    assert isinstance(caught.value.__cause__, ServerError)
    assert fake.playbooks.runs == []


async def test_other_server_errors_of_a_run_stay_server_errors(
    fake: FakeTextQL,
) -> None:
    stored = fake.playbooks.seed()
    fake.inject(HTTPError(500), times=None, path=f"/v2/playbooks/{stored.id}/run")
    async with fake.client(max_retries=2) as client:
        with pytest.raises(ServerError) as caught:
            await client.playbooks.run(stored.id)
    assert caught.value.status == 500 and not isinstance(caught.value, APITimeoutError)
    assert len([r for r in fake.requests if r.path.endswith("/run")]) == 1


async def test_a_timed_out_run_can_lose_its_report(fake: FakeTextQL, client: AsyncTextQL) -> None:
    stored = fake.playbooks.seed()
    fake.playbooks.time_out_runs(completes=False)
    with pytest.raises(APITimeoutError):
        await client.playbooks.run(stored.id)
    assert stored.reports == []
    run = await client.playbooks.run(stored.id)  # the next run is not affected
    assert run.report is not None and len(stored.reports) == 1


async def test_dry_runs_and_deploys_are_retried_because_they_are_idempotent(
    fake: FakeTextQL,
) -> None:
    stored = fake.playbooks.seed()
    for route in ("run", "deploy"):
        fake.inject(HTTPError(503), path=f"/v2/playbooks/{stored.id}/{route}")
    policy = RetryPolicy(max_retries=1, base=0.001, cap=0.001)
    async with fake.client(retry_policy=policy) as client:
        assert (await client.playbooks.run(stored.id, dry_run=True)).report is None
        assert (await client.playbooks.deploy(stored.id)).playbook_id == stored.id
    assert len([r for r in fake.requests if r.path.endswith(("/run", "/deploy"))]) == 4
    assert fake.playbooks.runs == [] and stored.status == "deployed"


async def test_create_is_not_retried(fake: FakeTextQL) -> None:
    fake.inject(HTTPError(503), path="/v2/playbooks")
    policy = RetryPolicy(max_retries=2, base=0.001, cap=0.001)
    async with fake.client(retry_policy=policy) as client:
        with pytest.raises(ServerError):
            await client.playbooks.create()
    assert len(fake.requests) == 1 and fake.playbooks.store == {}


def test_time_out_runs_needs_a_positive_count() -> None:
    with pytest.raises(ValueError):
        FakeTextQL().playbooks.time_out_runs(0)
