"""``iter`` and ``iter_reports`` page through the shared pager, lazily."""

from __future__ import annotations

from textql_async import AsyncTextQL
from textql_async.testing import FakeTextQL


def _list_requests(fake: FakeTextQL, path: str = "/v2/playbooks") -> list[dict[str, str]]:
    return [r.query for r in fake.requests if r.method == "GET" and r.path == path]


async def test_iter_fetches_pages_only_as_they_are_consumed(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    for n in range(5):
        fake.playbooks.seed(f"Playbook {n}")
    iterator = client.playbooks.iter(page_size=2, sort_by="name", sort_direction="asc")
    assert _list_requests(fake) == []  # nothing is sent before the first item is wanted
    first = [await anext(iterator) for _ in range(3)]
    assert [p.name for p in first] == ["Playbook 0", "Playbook 1", "Playbook 2"]
    assert [q["offset"] for q in _list_requests(fake)] == ["0", "2"]
    rest = [p.name async for p in iterator]
    assert rest == ["Playbook 3", "Playbook 4"]
    queries = _list_requests(fake)
    assert [q["offset"] for q in queries] == ["0", "2", "4"]
    assert all(q["limit"] == "2" and q["sort_by"] == "name" for q in queries)


async def test_iter_stops_at_total_count_without_an_empty_page(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    for n in range(4):
        fake.playbooks.seed(f"Playbook {n}")
    names = [p.name async for p in client.playbooks.iter(page_size=2)]
    assert len(names) == 4 and len(set(names)) == 4
    assert len(_list_requests(fake)) == 2


async def test_iter_passes_the_filters(fake: FakeTextQL, client: AsyncTextQL) -> None:
    fake.playbooks.seed("Revenue", status="deployed")
    fake.playbooks.seed("Revenue draft")
    fake.playbooks.seed("Churn", status="deployed")
    found = [
        p.name
        async for p in client.playbooks.iter(search_term="revenue", status_filter="deployed")
    ]
    assert found == ["Revenue"]
    assert _list_requests(fake)[0] == {
        "limit": "50",
        "offset": "0",
        "search_term": "revenue",
        "status_filter": "deployed",
    }


async def test_iter_of_nothing_sends_one_request(fake: FakeTextQL, client: AsyncTextQL) -> None:
    assert [p async for p in client.playbooks.iter()] == []
    assert len(_list_requests(fake)) == 1


async def test_iter_reports_walks_every_report_newest_first(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    stored = fake.playbooks.seed("Ops", reports=5)
    path = f"/v2/playbooks/{stored.id}"
    iterator = client.playbooks.iter_reports(stored.id, page_size=2)
    newest = await anext(iterator)
    assert newest.subject == "Ops: report #5"
    assert len(_list_requests(fake, path)) == 1
    rest = [r.subject async for r in iterator]
    assert rest == [f"Ops: report #{n}" for n in (4, 3, 2, 1)]
    assert [q["offset"] for q in _list_requests(fake, path)] == ["0", "2", "4"]
