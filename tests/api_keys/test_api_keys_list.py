"""``client.api_keys.list`` / ``iter``: filters, page tokens, lazy paging, argument checks."""

from __future__ import annotations

from typing import Any

import pytest
from _api_keys_kit import ROLE, api_key_requests

from textql_async import AsyncTextQL, BadRequestError, PermissionDeniedError
from textql_async.testing import FakeTextQL


async def test_list_returns_records_and_never_a_secret(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    minted = await client.api_keys.mint(assumed_roles=[ROLE], name="one", client_id={"t": "a"})
    page = await client.api_keys.list()
    assert [k.id for k in page.api_keys] == [minted.id] and page.next_page_token is None
    assert page.api_keys[0] == minted.api_key
    listed = fake.responses[-1]
    assert listed.route == "/v2/api-keys" and minted.key.reveal().encode() not in listed.body
    assert b'"key"' not in listed.body


async def test_query_parameters_on_the_wire(fake: FakeTextQL, client: AsyncTextQL) -> None:
    await client.api_keys.list(scope="personal", include_revoked=True, page_size=5)
    await client.api_keys.list()
    first, second = (r.query for r in fake.requests if r.path == "/v2/api-keys")
    assert first == {"scope": "personal", "include_revoked": "true", "page_size": "5"}
    assert second == {}


async def test_revoked_keys_only_when_asked(fake: FakeTextQL, client: AsyncTextQL) -> None:
    live = fake.api_keys.seed(assumed_roles=[ROLE])
    gone = fake.api_keys.seed(assumed_roles=[ROLE], revoked=True)
    old = fake.api_keys.seed(assumed_roles=[ROLE], expires_in=60)
    fake.api_keys.expire(old.id)
    shown = [(k.id, k.status) for k in (await client.api_keys.list()).api_keys]
    assert shown == [(live.id, "active"), (old.id, "expired")]
    everything = await client.api_keys.list(include_revoked=True)
    assert {k.id: k.status for k in everything.api_keys}[gone.id] == "revoked"


async def test_scopes_filter_by_owner(fake: FakeTextQL, client: AsyncTextQL) -> None:
    fake.api_keys.service_accounts.add("svc-1")
    mine = fake.api_keys.seed(assumed_roles=[ROLE])
    service = fake.api_keys.seed(assumed_roles=[ROLE], member_id="svc-1")
    colleague = fake.api_keys.seed(assumed_roles=[ROLE], member_id="jane")

    async def ids(**kwargs: Any) -> set[str | None]:
        return {k.id for k in (await client.api_keys.list(**kwargs)).api_keys}

    assert await ids(scope="personal") == {mine.id}
    assert await ids(scope="service_accounts") == {service.id}
    assert await ids(scope="all") == await ids() == {mine.id, service.id, colleague.id}


async def test_a_role_scoped_key_sees_only_its_own_keys(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    scoped_key = await client.api_keys.mint(assumed_roles=[ROLE])
    fake.api_keys.seed(assumed_roles=[ROLE], member_id="jane")
    async with fake.client(api_key=scoped_key.key.reveal(), max_retries=0) as scoped:
        own = await scoped.api_keys.list()
        assert [k.id for k in own.api_keys] == [scoped_key.id]  # defaults to personal
        with pytest.raises(PermissionDeniedError, match="organization:read"):
            await scoped.api_keys.list(scope="all")


async def test_iter_follows_page_tokens_lazily(fake: FakeTextQL, client: AsyncTextQL) -> None:
    seeded = [fake.api_keys.seed(assumed_roles=[ROLE], name=f"k{i}").id for i in range(7)]
    iterator = client.api_keys.iter(page_size=3)
    assert api_key_requests(fake) == []  # nothing is fetched before iterating
    got = [await iterator.__anext__() for _ in range(3)]
    assert len(api_key_requests(fake)) == 1  # the first page only
    got.append(await iterator.__anext__())
    assert len(api_key_requests(fake)) == 2
    got += [k async for k in iterator]
    assert [k.id for k in got] == seeded
    queries = [r.query for r in fake.requests if r.path == "/v2/api-keys"]
    assert len(queries) == 3 and "page_token" not in queries[0]
    assert queries[1]["page_token"] and queries[1]["page_token"] != queries[2]["page_token"]
    assert all(q["page_size"] == "3" for q in queries)


async def test_list_pages_by_hand(fake: FakeTextQL, client: AsyncTextQL) -> None:
    for _ in range(3):
        fake.api_keys.seed(assumed_roles=[ROLE])
    first = await client.api_keys.list(page_size=2)
    assert len(first.api_keys) == 2 and first.next_page_token
    last = await client.api_keys.list(page_size=2, page_token=first.next_page_token)
    assert len(last.api_keys) == 1 and last.next_page_token is None


async def test_iter_of_nothing_makes_one_request(fake: FakeTextQL, client: AsyncTextQL) -> None:
    assert [k async for k in client.api_keys.iter()] == []
    assert api_key_requests(fake) == [("GET", "/v2/api-keys")]


async def test_a_stale_page_token_is_a_bad_request(fake: FakeTextQL, client: AsyncTextQL) -> None:
    with pytest.raises(BadRequestError, match="page_token"):
        await client.api_keys.list(page_token="not-a-token")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"scope": "everyone"}, ValueError),
        ({"page_size": 0}, ValueError),
        ({"page_size": "10"}, TypeError),
        ({"include_revoked": "true"}, TypeError),
        ({"page_token": ""}, ValueError),
    ],
)
async def test_bad_list_arguments_fail_before_any_request(
    fake: FakeTextQL, client: AsyncTextQL, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        await client.api_keys.list(**kwargs)
    iter_kwargs = {k: v for k, v in kwargs.items() if k != "page_token"}
    if iter_kwargs:
        with pytest.raises(error):
            client.api_keys.iter(**iter_kwargs)  # raised at the call, not at the first page
    assert api_key_requests(fake) == []
