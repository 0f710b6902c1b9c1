"""client.v1.chats.list / iter: the wire body and headers, filters, sorting, lazy paging."""

from __future__ import annotations

import json

import pytest

from textql_async import Timeout
from textql_async.models.v1 import V1SortBy, V1SortDirection
from textql_async.testing import FakeTextQL, HTTPError

SUMMARIES = {
    "Revenue by region",
    "Churn by cohort",
    "Forecast next quarter",
    "Inventory check",
    "Top customers",
}


async def test_list_sends_a_camel_case_body_with_integer_enums_and_connect_headers() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        page = await client.v1.chats.list(
            member_only=True,
            search_term="revenue",
            limit=10,
            offset=0,
            sort_by=V1SortBy.CREATED_AT,
            sort_direction=V1SortDirection.ASC,
            timeout=2.5,
        )
        path, body = fake.v1.bodies[-1]
        request = fake.requests[-1]
    assert path == "/v1/chat/list" and request.method == "POST"
    assert body == {
        "memberOnly": True,
        "searchTerm": "revenue",
        "limit": 10,
        "offset": 0,
        "sortBy": 2,
        "sortDirection": 1,
    }
    assert all(type(body[k]) is int for k in ("sortBy", "sortDirection"))
    assert request.headers["Connect-Protocol-Version"] == "1"
    assert request.headers["Connect-Timeout-Ms"] == "2500"
    assert request.headers["Authorization"] == f"Bearer {fake.api_key}"
    assert request.headers["Content-Type"].startswith("application/json")
    # mine, matching "revenue" in the summary or preview, oldest first
    assert [c.summary for c in page.chats] == ["Revenue by region", "Forecast next quarter"]
    assert page.total_count == 2


async def test_defaults_send_only_member_only_and_the_client_timeout_budget() -> None:
    async with FakeTextQL() as fake, fake.client(timeout=Timeout(read=30, total=4)) as client:
        page = await client.v1.chats.list()
        _, body = fake.v1.bodies[-1]
        headers = fake.requests[-1].headers
    assert body == {"memberOnly": False}
    assert headers["Connect-Timeout-Ms"] == "4000"  # the total budget wins over read
    assert {c.summary for c in page.chats} == SUMMARIES and page.total_count == 5
    # newest first by default
    assert [c.summary for c in page.chats][:2] == ["Top customers", "Forecast next quarter"]


@pytest.mark.parametrize(
    ("sort_by", "direction", "first"),
    [
        (V1SortBy.NAME, None, "Churn by cohort"),
        (V1SortBy.NAME, V1SortDirection.DESC, "Top customers"),
        (V1SortBy.UPDATED_AT, V1SortDirection.DESC, "Top customers"),
        (V1SortBy.CREATED_AT, V1SortDirection.ASC, "Inventory check"),
        (3, 1, "Inventory check"),  # plain ints are accepted too
    ],
)
async def test_sorting(sort_by: int, direction: int | None, first: str) -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        page = await client.v1.chats.list(sort_by=sort_by, sort_direction=direction)
    assert page.chats[0].summary == first


async def test_limit_and_offset_window_with_the_total_count() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        page = await client.v1.chats.list(limit=2, offset=4, sort_by=V1SortBy.NAME)
        beyond = await client.v1.chats.list(offset=50)
    assert [c.summary for c in page.chats] == ["Top customers"] and page.total_count == 5
    assert beyond.chats == [] and beyond.total_count == 5


async def test_total_count_as_a_json_string_is_accepted() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        fake.v1.numbers_as_strings = True
        page = await client.v1.chats.list(limit=1)
        raw = json.loads(fake.responses[-1].body)
        fake.inject(HTTPError(200, b'{"chats": [{"id": "x"}], "totalCount": "12"}'))
        injected = await client.v1.chats.list()
    assert raw["totalCount"] == "5" and page.total_count == 5
    assert injected.total_count == 12 and injected.chats[0].id == "x"


async def test_empty_page_is_proto3_empty_object() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        page = await client.v1.chats.list(search_term="nothing matches this")
        raw = fake.responses[-1].body
    assert raw == b"{}" and page.chats == [] and page.total_count == 0


async def test_iter_pages_lazily_until_the_total_count() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        chats = client.v1.chats.iter(page_size=2, sort_by=V1SortBy.NAME)
        assert fake.v1.bodies == []  # nothing sent before iteration starts
        first = await chats.__anext__()
        assert len(fake.v1.bodies) == 1
        rest = [chat async for chat in chats]
        offsets = [body["offset"] for _, body in fake.v1.bodies]
        limits = {body["limit"] for _, body in fake.v1.bodies}
    assert [c.summary for c in [first, *rest]] == sorted(SUMMARIES)
    assert offsets == [0, 2, 4] and limits == {2}  # no extra empty request after the total


async def test_iter_trusts_total_count_when_the_server_caps_the_page() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        for n in range(120):
            fake.v1.add_chat({"id": f"extra-{n:03d}", "summary": f"extra {n}", "memberId": "x"})
        ids = [chat.id async for chat in client.v1.chats.iter(page_size=500, search_term="extra")]
        offsets = [body["offset"] for _, body in fake.v1.bodies]
    assert len(ids) == 120 and len(set(ids)) == 120
    assert offsets == [0, 100]  # the fake serves at most 100 per page


async def test_iter_forwards_filters_and_member_only() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        mine = [c async for c in client.v1.chats.iter(member_only=True)]
        _, body = fake.v1.bodies[-1]
    assert {c.member_id for c in mine} == {fake.member_id} and len(mine) == 3
    assert body["memberOnly"] is True and body["limit"] == 100


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"limit": -1}, ValueError),
        ({"offset": -5}, ValueError),
        ({"limit": 2**31}, ValueError),
        ({"limit": True}, TypeError),
        ({"offset": 1.5}, TypeError),
        ({"sort_by": 9}, ValueError),
        ({"sort_direction": "asc"}, TypeError),
        ({"search_term": 3}, TypeError),
        ({"member_only": "yes"}, TypeError),
    ],
)
async def test_bad_arguments_fail_before_any_request(
    kwargs: dict[str, object], error: type
) -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        with pytest.raises(error):
            await client.v1.chats.list(**kwargs)  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            client.v1.chats.iter(page_size=0)
    assert fake.requests == []
