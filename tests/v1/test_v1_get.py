"""client.v1.chats.get: every field decoded, enums open, int64-as-string, create and cancel."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from textql_async import APIError, NotFoundError, ServerError
from textql_async.models.v1 import (
    V1ChatSource,
    V1ChatTools,
    V1LlmModel,
    V1Methodology,
    V1ParadigmType,
)
from textql_async.testing import FakeTextQL, HTTPError
from textql_async.testing._v1_seed import seed_chats

FIRST = "5d1c7a9e-0001-4a6b-9c1f-3e2d4b5a6c01"
CHURN = "5d1c7a9e-0002-4a6b-9c1f-3e2d4b5a6c02"
FUTURE = "5d1c7a9e-0003-4a6b-9c1f-3e2d4b5a6c03"
UTC = timezone.utc


async def test_get_decodes_every_field_of_the_chat_its_messages_and_assets() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        thread = await client.v1.chats.get(FIRST)
    chat = thread.chat
    assert chat.id == FIRST
    assert chat.paradigm is not None and chat.paradigm.type_enum is V1ParadigmType.UNIVERSAL
    assert chat.paradigm.version == 2
    options = chat.paradigm.options
    assert options is not None and options.kind == "universal" and options.universal is not None
    assert options.universal.connector_ids == [1] and options.universal.sql_enabled is True
    assert options.universal.web_search_enabled is False  # proto3 left the false value out
    assert chat.model == "MODEL_SONNET_4" and chat.model_enum is V1LlmModel.SONNET_4
    assert chat.timestamp == datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
    assert chat.updated_at == datetime(2025, 1, 12, 10, 30, tzinfo=UTC)
    assert (chat.org_id, chat.member_id) == (fake.store.org_id, fake.member_id)
    assert chat.summary == "Revenue by region"
    assert chat.research is False and chat.is_bookmarked is True and chat.dashboard_mode is False
    assert chat.creator_email == "analyst@example.com"
    assert chat.api_key_client_id == "client-42"
    assert chat.preferred_provider == "anthropic"
    assert chat.preview == "What was revenue by region last quarter?"
    assert chat.source_enum is V1ChatSource.THREAD
    assert chat.methodology_enum is V1Methodology.ADAPTIVE
    assert chat.playbook_id is None and chat.template_data_id is None  # absent optionals
    assert [(m.role, m.content) for m in thread.messages] == [
        ("user", "What was revenue by region last quarter?"),
        ("assistant", "**West** led with $4.2M."),
    ]
    assert thread.messages[1].created_at == datetime(2025, 1, 10, 9, 0, 7, 125000, tzinfo=UTC)
    assert [(a.preview_type, a.name, a.url, a.content) for a in thread.assets] == [
        ("image", "revenue.png", "https://files.example.com/revenue.png", None),
        ("table", "revenue", None, "a,b"),
    ]


async def test_get_playbook_fields_and_sql_paradigm() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        thread = await client.v1.chats.get(CHURN)
    chat = thread.chat
    assert chat.playbook_id == "playbook-7"
    assert chat.template_data_id == "0f4e3d2c-0000-4000-8000-000000000001"
    assert chat.batch_run_id == "0f4e3d2c-0000-4000-8000-000000000002"
    assert chat.source_enum is V1ChatSource.PLAYBOOK
    assert chat.paradigm is not None and chat.paradigm.options is not None
    assert chat.paradigm.options.kind == "sql"
    assert chat.paradigm.options.sql is not None and chat.paradigm.options.sql.connector_ids == [2]
    assert thread.messages == [] and thread.assets == []  # proto3 left the empty lists out


async def test_unknown_model_is_kept_as_a_string_not_an_error() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        thread = await client.v1.chats.get(FUTURE)
    assert thread.chat.model == "MODEL_FUTURE_X"
    assert thread.chat.model_enum is None


def test_every_model_of_seed_002_is_a_member() -> None:
    seed = (
        "MODEL_UNKNOWN, MODEL_DEFAULT_SMALL, MODEL_DEFAULT, MODEL_DEFAULT_LARGE, "
        "MODEL_DEFAULT_REASONING, MODEL_HAIKU_3, MODEL_HAIKU_3_5, MODEL_SONNET_3_5, "
        "MODEL_SONNET_3_6, MODEL_SONNET_3_7, MODEL_SONNET_4, MODEL_OPUS_4, MODEL_SONNET_4_5, "
        "MODEL_HAIKU_4_5, MODEL_GPT_4, MODEL_GPT_4_TURBO, MODEL_GPT_4O, MODEL_GPT_4_1, "
        "MODEL_GPT_4_1_MINI, MODEL_GPT_4_1_NANO, MODEL_O_1, MODEL_O_1_MINI, MODEL_O_3, "
        "MODEL_O_3_MINI, MODEL_O_4_MINI, MODEL_GPT_5, MODEL_KIMI_K2_INSTRUCT, MODEL_QWEN3_CODER, "
        "MODEL_QWEN3_CODER_SMALL, MODEL_GPT_OSS, MODEL_GPT_OSS_SMALL, MODEL_GLM_4_5, "
        "MODEL_GLM_4_6, MODEL_KIMI_K2_THINKING"
    ).split(", ")
    assert {V1LlmModel(value).value for value in seed} == set(seed)
    assert len(V1LlmModel) > len(seed)  # plus the newer values of the v1 spec


async def test_unknown_fields_and_enum_values_and_int64_strings_are_tolerated() -> None:
    body = {
        "chat": {
            "id": "c1",
            "paradigm": {"type": "TYPE_QUANTUM", "version": "7", "options": {"quantum": {}}},
            "model": "MODEL_NEXT",
            "source": "CHAT_SOURCE_MARS",
            "methodology": "METHODOLOGY_NEW",
            "timestamp": "2024-12-25T12:00:00.123456789Z",
            "brandNewField": {"nested": [1, 2]},
        },
        "messages": [{"role": "tool", "content": "x", "extra": True}],
        "futureTopLevel": 1,
    }
    async with FakeTextQL() as fake, fake.client() as client:
        fake.inject(HTTPError(200, json.dumps(body).encode()), path="/v1/chat/get")
        thread = await client.v1.chats.get("c1")
    chat = thread.chat
    assert chat.paradigm is not None
    assert (chat.paradigm.type, chat.paradigm.type_enum, chat.paradigm.version) == (
        "TYPE_QUANTUM",
        None,
        7,
    )
    assert chat.paradigm.options is not None and chat.paradigm.options.kind is None
    assert (chat.model, chat.model_enum) == ("MODEL_NEXT", None)
    assert (chat.source, chat.source_enum) == ("CHAT_SOURCE_MARS", None)
    assert (chat.methodology, chat.methodology_enum) == ("METHODOLOGY_NEW", None)
    assert chat.timestamp == datetime(2024, 12, 25, 12, 0, 0, 123457, tzinfo=UTC)  # nanos rounded
    assert thread.messages[0].role == "tool"


async def test_proto3_defaults_fill_fields_the_server_left_out() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        fake.inject(HTTPError(200, b'{"chat": {"id": "c2", "paradigm": {}}}'), path="/v1/chat/get")
        thread = await client.v1.chats.get("c2")
    chat = thread.chat
    assert chat.model == "MODEL_UNKNOWN" and chat.model_enum is V1LlmModel.UNKNOWN
    assert chat.paradigm is not None and chat.paradigm.type_enum is V1ParadigmType.UNKNOWN
    assert chat.paradigm.version == 0 and chat.org_id == "" and chat.timestamp is None
    assert chat.source is None and chat.source_enum is None


async def test_fake_sends_int32_numbers_as_strings_when_asked() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        fake.v1.numbers_as_strings = True
        thread = await client.v1.chats.get(FIRST)
        raw = json.loads(fake.responses[-1].body)
    assert raw["chat"]["paradigm"]["version"] == "2"
    assert thread.chat.paradigm is not None and thread.chat.paradigm.version == 2


async def test_a_body_that_is_not_the_documented_json_is_an_api_error() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        fake.inject(HTTPError(200, b'{"chat": {"id": 5}}'), path="/v1/chat/get")
        with pytest.raises(APIError) as info:
            await client.v1.chats.get("c3")
    assert type(info.value) is APIError and "unexpected response body" in str(info.value)


async def test_unknown_chat_is_not_found() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        with pytest.raises(NotFoundError) as info:
            await client.v1.chats.get("no-such-chat")
    assert info.value.code == "not_found" and info.value.status == 404
    assert len(fake.requests) == 1  # not retried


async def test_chats_asked_through_ana_are_visible_in_v1() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        result = await client.ana.ask("Where is the largest store?")
        chat_id = result.chat_id
        assert chat_id is not None
        thread = await client.v1.chats.get(chat_id)
        page = await client.v1.chats.list(search_term="largest store")
    assert thread.chat.summary == "Where is the largest store?"
    assert [m.role for m in thread.messages] == ["user", "assistant"]
    assert thread.messages[1].content  # the answer's text blocks
    assert [c.id for c in page.chats] == [chat_id]


async def test_create_continue_and_cancel() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        tools = V1ChatTools(sql_enabled=True)
        answer = await client.v1.chats.create("Revenue by region?", tools=tools, connector_ids=[4])
        again = await client.v1.chats.create("And by month?", chat_id=answer.chat_id)
        thread = await client.v1.chats.get(answer.chat_id)
        exists = await client.v1.chats.cancel(answer.chat_id)
        missing = await client.v1.chats.cancel("no-such-chat")
        bodies = [body for path, body in fake.v1.bodies if path == "/v1/chat"]
    assert answer.response == "Fake answer to: Revenue by region?" and answer.id
    assert answer.created_at is not None and answer.model == "MODEL_DEFAULT"
    assert again.chat_id == answer.chat_id
    assert bodies[0] == {
        "question": "Revenue by region?",
        "tools": {"connectorIds": [4], "sqlEnabled": True},
    }
    assert bodies[1] == {"question": "And by month?", "chatId": answer.chat_id}
    assert [m.content for m in thread.messages if m.role == "user"] == [
        "Revenue by region?",
        "And by month?",
    ]
    assert thread.chat.paradigm is not None and thread.chat.paradigm.options is not None
    universal = thread.chat.paradigm.options.universal
    assert universal is not None and universal.connector_ids == [4] and universal.sql_enabled
    assert (exists, missing) == (True, False)


async def test_create_in_an_unknown_chat_is_not_found_and_create_is_never_retried() -> None:
    unavailable = b'{"code": "unavailable", "message": "try later"}'
    async with FakeTextQL() as fake, fake.client() as client:
        with pytest.raises(NotFoundError):
            await client.v1.chats.create("More detail please", chat_id="no-such-chat")
        fake.inject(HTTPError(503, unavailable), path="/v1/chat")
        before = len(fake.requests)
        with pytest.raises(ServerError):
            await client.v1.chats.create("Will this be asked twice?")
        assert len(fake.requests) == before + 1


def test_seeded_chats_are_camel_case() -> None:
    for stored in seed_chats("m", "o"):
        for key in stored.chat:
            assert "_" not in key, key
