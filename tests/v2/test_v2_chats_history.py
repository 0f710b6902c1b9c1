"""Reading v2 chats back: get, list/iter (lazy pages), cells/iter_cells, cell, models."""

from __future__ import annotations

import pytest

from textql_async import AsyncTextQL, NotFoundError
from textql_async.models.v2_chats import CellsPage, ChatPage, ChatThread, Model
from textql_async.testing import FakeTextQL


def _list_requests(fake: FakeTextQL, path: str = "/v2/chats") -> list[dict[str, str]]:
    return [r.query for r in fake.requests if r.path == path]


async def _chat_with_turns(client: AsyncTextQL, *questions: str) -> str:
    first = await client.chats.create(questions[0])
    assert first.chat_id is not None
    for question in questions[1:]:
        await client.chats.create(question, chat_id=first.chat_id)
    return first.chat_id


async def test_get_returns_messages_and_assets(client: AsyncTextQL) -> None:
    first = await client.chats.create("Build a dashboard of revenue")
    assert first.chat_id is not None
    second = await client.chats.create("And by month?", chat_id=first.chat_id)
    thread = await client.chats.get(first.chat_id)
    assert isinstance(thread, ChatThread)
    assert (thread.chat.id, thread.chat.model) == (first.chat_id, "sonnet_4")
    assert [(m.role, m.content) for m in thread.messages] == [
        ("user", "Build a dashboard of revenue"),
        ("assistant", first.response),
        ("user", "And by month?"),
        ("assistant", second.response),
    ]
    assert all(m.created_at is not None and m.cell_id for m in thread.messages)
    answers = [m for m in thread.messages if m.role == "assistant"]
    assert [m.cell_id for m in answers] == [first.id, second.id]
    # assets sit on the assistant messages and, for the whole chat, at the top level
    assert [a.message_cell_id for a in answers[0].assets] == [first.id]
    assert [a.type for a in thread.assets] == ["dashboard", "chart"]
    assert [a.url for a in thread.assets] == [a.url for a in first.assets + second.assets]


async def test_get_an_unknown_chat_is_not_found(client: AsyncTextQL) -> None:
    with pytest.raises(NotFoundError) as info:
        await client.chats.get("00000000-0000-4000-8000-000000000000")
    assert (info.value.status, info.value.code) == (404, "not_found")


async def test_list_pages_with_total_count_newest_first(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    ids = [fake.v2.add_chat(f"question {i}") for i in range(5)]
    page = await client.chats.list(limit=2)
    assert isinstance(page, ChatPage)
    assert page.total_count == 5
    assert [c.id for c in page.chats] == [ids[4], ids[3]]  # updated_at desc by default
    rest = await client.chats.list(limit=2, offset=4)
    assert [c.id for c in rest.chats] == [ids[0]]
    assert _list_requests(fake) == [{"limit": "2"}, {"limit": "2", "offset": "4"}]
    summary = rest.chats[0]
    assert (summary.summary, summary.preview) == ("question 0", "question 0")
    assert summary.timestamp is not None and summary.updated_at is not None
    assert (summary.model, summary.is_running) == ("sonnet_4", False)


async def test_list_search_and_sort(fake: FakeTextQL, client: AsyncTextQL) -> None:
    fake.v2.add_chat("Revenue by region")
    fake.v2.add_chat("Churn last quarter")
    fake.v2.add_chat("Average REVENUE per store")
    found = await client.chats.list(search_term="revenue", sort_by="name", sort_direction="asc")
    assert [c.summary for c in found.chats] == ["Average REVENUE per store", "Revenue by region"]
    assert found.total_count == 2
    oldest = await client.chats.list(sort_by="created_at", sort_direction="asc")
    assert [c.summary for c in oldest.chats] == ["Revenue by region", "Churn last quarter", "Average REVENUE per store"]
    assert _list_requests(fake)[0] == {
        "search_term": "revenue",
        "sort_by": "name",
        "sort_direction": "asc",
    }


async def test_continuing_a_chat_moves_it_to_the_top(fake: FakeTextQL, client: AsyncTextQL) -> None:
    old = fake.v2.add_chat("old")
    fake.v2.add_chat("new")
    await client.chats.create("again", chat_id=old)
    assert (await client.chats.list(limit=1)).chats[0].id == old


async def test_list_arguments_are_checked_before_any_request(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    for bad in (0, 101):
        with pytest.raises(ValueError, match="limit"):
            await client.chats.list(limit=bad)
    with pytest.raises(ValueError, match="offset"):
        await client.chats.list(offset=-1)
    with pytest.raises(ValueError, match="page_size"):
        client.chats.iter(page_size=0)
    assert fake.requests == []


async def test_iter_walks_every_page(fake: FakeTextQL, client: AsyncTextQL) -> None:
    ids = [fake.v2.add_chat(f"q{i}") for i in range(7)]
    seen = [chat.id async for chat in client.chats.iter(page_size=3)]
    assert seen == ids[::-1]
    assert [q["offset"] for q in _list_requests(fake)] == ["0", "3", "6"]


async def test_iter_fetches_pages_lazily(fake: FakeTextQL, client: AsyncTextQL) -> None:
    for i in range(7):
        fake.v2.add_chat(f"q{i}")
    chats = client.chats.iter(page_size=3, search_term="q")
    assert _list_requests(fake) == []  # nothing is fetched before the first item is wanted
    taken = []
    async for chat in chats:
        taken.append(chat)
        if len(taken) == 4:
            break
    assert len(_list_requests(fake)) == 2  # not 3: the last page was never needed
    assert {q["search_term"] for q in _list_requests(fake)} == {"q"}


async def test_cells_page_back_from_the_newest(fake: FakeTextQL, client: AsyncTextQL) -> None:
    chat_id = await _chat_with_turns(client, "one", "two", "three")  # 3 cells a turn
    everything = (await client.chats.cells(chat_id)).cells
    assert [c.content for c in everything if c.role == "user"] == ["one", "two", "three"]
    assert [c.type for c in everything[:3]] == ["markdown", "python", "markdown"]

    newest = await client.chats.cells(chat_id, limit=3)
    assert isinstance(newest, CellsPage) and newest.chat_id == chat_id
    assert newest.cells == everything[6:] and newest.has_more
    # a page extends back to the start of its turn: asking for 2 gives the whole turn
    assert (await client.chats.cells(chat_id, limit=2)).cells == everything[6:]
    oldest = await client.chats.cells(chat_id, limit=3, offset=6)
    assert oldest.cells == everything[:3] and not oldest.has_more
    assert (await client.chats.cells(chat_id, offset=9)).cells == []
    assert _list_requests(fake, f"/v2/chats/{chat_id}/cells")[1] == {"limit": "3"}


async def test_iter_cells_goes_newest_first_across_pages(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    chat_id = await _chat_with_turns(client, "one", "two", "three")
    everything = (await client.chats.cells(chat_id)).cells
    walked = [cell async for cell in client.chats.iter_cells(chat_id, page_size=3)]
    assert walked == everything[::-1]
    pages = _list_requests(fake, f"/v2/chats/{chat_id}/cells")[1:]
    assert [q["offset"] for q in pages] == ["0", "3", "6"]  # has_more was false on the third


async def test_cells_arguments_are_checked_before_any_request(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    for bad in (0, 501):
        with pytest.raises(ValueError, match="limit"):
            await client.chats.cells("c", limit=bad)
    with pytest.raises(ValueError, match="offset"):
        await client.chats.cells("c", offset=-1)
    with pytest.raises(ValueError, match="chat_id"):
        client.chats.iter_cells("")
    with pytest.raises(ValueError, match="cell_id"):
        await client.chats.cell("c", "")
    assert fake.requests == []


async def test_one_cell(client: AsyncTextQL) -> None:
    chat_id = await _chat_with_turns(client, "one")
    step = (await client.chats.cells(chat_id)).cells[1]
    assert step.id is not None
    cell = await client.chats.cell(chat_id, step.id)
    assert cell == step and cell.type == "python" and cell.output
    assert cell.assets and cell.assets[0].cell_id == step.id
    with pytest.raises(NotFoundError):
        await client.chats.cell(chat_id, "no-such-cell")
    with pytest.raises(NotFoundError):
        await client.chats.cell("no-such-chat", step.id)


async def test_models_list(fake: FakeTextQL, client: AsyncTextQL) -> None:
    models = await client.models.list()
    assert all(isinstance(m, Model) for m in models)
    assert [m.id for m in models if m.default] == ["sonnet_4"]
    assert {m.id for m in models} >= {"sonnet_4", "opus_4", "gemini_3_5_flash"}
    assert next(m for m in models if m.id == "gemini_3_5_flash").provider == "google"


async def test_models_follow_the_organization_catalog(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    fake.v2.models = [
        {"id": "house_model", "provider": "acme", "supports_fast_mode": True, "default": True,
         "context_window": 10**6, "tier": "enterprise"},
    ]
    (model,) = await client.models.list()
    assert (model.id, model.provider, model.supports_fast_mode, model.default) == (
        "house_model", "acme", True, True,
    )
    result = await client.chats.create("q")  # the org default now resolves to it
    assert result.model == "house_model"


async def test_unknown_fields_in_every_body_are_ignored(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    fake.v2.extra_fields = {"added_later": {"deep": [1, {"x": None}]}, "flags": [True]}
    created = await client.chats.create("Build a dashboard")
    assert created.chat_id is not None and created.dashboard_url is not None
    thread = await client.chats.get(created.chat_id)
    page = await client.chats.list()
    cells = await client.chats.cells(created.chat_id)
    models = await client.models.list()
    assert thread.messages[1].assets[0].is_dashboard
    assert page.chats[0].id == created.chat_id
    assert [c.type for c in cells.cells] == ["markdown", "python", "markdown"]
    assert any(m.default for m in models)
    assert await client.chats.cancel(created.chat_id) is False
