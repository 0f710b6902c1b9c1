"""client.partner.conversations: send, paged history (next_token), get, delete."""

from __future__ import annotations

import pytest
from _partner_kit import make_connector, partner_calls, raw

from textql_async import AsyncTextQL, BadRequestError, NotFoundError
from textql_async.models.partner import ConversationMessage, MessagesPage, messages_page_decoder
from textql_async.testing import FakeTextQL


def _seed(fake: FakeTextQL, count: int, conversation_id: str = "conv_1") -> None:
    fake.partner.add_conversation(
        conversation_id,
        [{"text": f"m{i}", "role": "user" if i % 2 == 0 else "breadcrumb"} for i in range(count)],
    )


async def test_send_returns_the_reply_and_records_both_messages(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    await make_connector(client)
    reply = await client.partner.conversations.send("conv_1", "Revenue by month?")
    assert reply.role == "breadcrumb" and "Revenue by month?" in reply.text
    assert reply.visualization is None
    charted = await client.partner.conversations.send("conv_1", "Plot it as a chart")
    assert charted.visualization is not None
    history = [m async for m in client.partner.conversations.messages("conv_1")]
    assert [m.role for m in history] == ["user", "breadcrumb", "user", "breadcrumb"]
    assert history[0] == ConversationMessage("Revenue by month?", "user", None)
    assert history[3] == charted
    assert partner_calls(fake)[1:] == [
        ("POST", "/partner/conversations/conv_1/chat"),
        ("POST", "/partner/conversations/conv_1/chat"),
        ("GET", "/partner/conversations/conv_1/messages"),
    ]
    assert fake.requests[-1].query == {"limit": "100"}


async def test_messages_follow_next_token_until_null(fake: FakeTextQL, client: AsyncTextQL) -> None:
    _seed(fake, 7)
    texts = [m.text async for m in client.partner.conversations.messages("conv_1", limit=3)]
    assert texts == [f"m{i}" for i in range(7)]
    queries = [r.query for r in fake.requests]
    assert [q["limit"] for q in queries] == ["3", "3", "3"]
    assert "next_token" not in queries[0]
    assert queries[1]["next_token"] and queries[2]["next_token"] != queries[1]["next_token"]


async def test_pager_stops_on_a_full_last_page(fake: FakeTextQL, client: AsyncTextQL) -> None:
    _seed(fake, 6)
    texts = [m.text async for m in client.partner.conversations.messages("conv_1", limit=3)]
    assert len(texts) == 6 and len(fake.requests) == 2  # second page says next_token: null


async def test_messages_are_fetched_lazily(fake: FakeTextQL, client: AsyncTextQL) -> None:
    _seed(fake, 10)
    iterator = client.partner.conversations.messages("conv_1", limit=2)
    assert fake.requests == []  # nothing sent until iteration starts
    first = await anext(iterator)
    second = await anext(iterator)
    assert (first.text, second.text, len(fake.requests)) == ("m0", "m1", 1)
    await anext(iterator)
    assert len(fake.requests) == 2
    await iterator.aclose()  # type: ignore[attr-defined]


async def test_one_page_at_a_time(fake: FakeTextQL, client: AsyncTextQL) -> None:
    _seed(fake, 5)
    page = await client.partner.conversations.messages_page("conv_1", limit=4)
    assert [m.text for m in page.messages] == ["m0", "m1", "m2", "m3"] and page.next_token
    last = await client.partner.conversations.messages_page(
        "conv_1", limit=4, next_token=page.next_token
    )
    assert [m.text for m in last.messages] == ["m4"] and last.next_token is None


async def test_a_foreign_token_is_a_bad_request(fake: FakeTextQL, client: AsyncTextQL) -> None:
    _seed(fake, 4, "conv_a")
    _seed(fake, 4, "conv_b")
    page = await client.partner.conversations.messages_page("conv_a", limit=1)
    with pytest.raises(BadRequestError, match="next_token"):
        await client.partner.conversations.messages_page("conv_b", next_token=page.next_token)


@pytest.mark.parametrize(("limit", "error"), [(0, ValueError), (-5, ValueError), (True, TypeError)])
async def test_bad_limit_fails_before_any_request(
    fake: FakeTextQL, client: AsyncTextQL, limit: int, error: type[Exception]
) -> None:
    with pytest.raises(error):
        client.partner.conversations.messages("conv_1", limit=limit)
    with pytest.raises(error):
        await client.partner.conversations.messages_page("conv_1", limit=limit)
    assert fake.requests == []


async def test_empty_ids_and_text_fail_before_any_request(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    with pytest.raises(ValueError):
        await client.partner.conversations.send("conv_1", "   ")
    with pytest.raises(ValueError):
        await client.partner.conversations.send("", "hi")
    with pytest.raises(ValueError):
        client.partner.conversations.messages("")
    with pytest.raises(TypeError):
        await client.partner.conversations.get(None)  # type: ignore[arg-type]
    assert fake.requests == []


async def test_get_then_delete(fake: FakeTextQL, client: AsyncTextQL) -> None:
    await make_connector(client, source_name="Warehouse")
    await client.partner.conversations.send("conv/9", "hello")
    conversation = await client.partner.conversations.get("conv/9")
    assert conversation.conversation_id == "conv/9"
    assert [(d.name, d.type) for d in conversation.data_sources] == [("Warehouse", "postgres")]
    assert await client.partner.conversations.delete("conv/9") is None
    assert fake.requests[-1].method == "DELETE"
    with pytest.raises(NotFoundError):
        await client.partner.conversations.get("conv/9")
    with pytest.raises(NotFoundError):
        await client.partner.conversations.delete("conv/9")
    with pytest.raises(NotFoundError):
        [m async for m in client.partner.conversations.messages("conv/9")]


async def test_unknown_roles_and_fields_are_tolerated(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    fake.partner.add_conversation("c", [{"text": "note", "role": "system", "visualization": "v"}])
    messages = [m async for m in client.partner.conversations.messages("c")]
    assert messages == [ConversationMessage("note", "system", "v")]
    page = messages_page_decoder.decode(
        b'{"messages": [{"text": "x", "role": "tool", "extra": 1}], "next_token": null, "n": 2}'
    )
    assert page == MessagesPage([ConversationMessage("x", "tool")], None)


async def test_fake_validates_the_query_and_body_fastapi_style(fake: FakeTextQL) -> None:
    _seed(fake, 1)
    status, body, _ = await raw(fake, "GET", "/conversations/conv_1/messages?limit=many")
    assert status == 422 and body["detail"][0]["loc"] == ["query", "limit"]
    status, body, _ = await raw(fake, "POST", "/conversations/conv_1/chat", body={"txt": "hi"})
    assert status == 422 and body["detail"] == [
        {"loc": ["body", "text"], "msg": "Field required", "type": "missing"}
    ]
    status, body, _ = await raw(fake, "POST", "/conversations/conv_1/chat", data=b"{not json")
    assert status == 422 and body["detail"][0]["type"] == "json_invalid"
    status, body, _ = await raw(fake, "POST", "/conversations/conv_1/chat", body=["hi"])
    assert status == 422 and body["detail"][0]["loc"] == ["body"]
