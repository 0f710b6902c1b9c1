"""``client.chats.create`` / ``create_dashboard``: the body on the wire, files, validation, errors."""

from __future__ import annotations

import datetime as dt
import io
import pathlib
import uuid

import pytest

from textql_async import (
    AsyncTextQL,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
)
from textql_async.models.v2_chats import ChatResponse, Tools
from textql_async.testing import FakeTextQL, HTTPError


def _is_uuid(value: str | None) -> bool:
    return value is not None and str(uuid.UUID(value)) == value


async def test_create_sends_the_json_body_and_decodes_the_answer(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    tools = Tools(connector_ids=[3], sql_enabled=True, python_enabled=False)
    result = await client.chats.create("Revenue by region?", connector_ids=[1, 2], tools=tools)

    (received,) = fake.v2.received
    assert received.path == "/v2/chats"
    assert received.content_type == "application/json"
    # unset tool flags are left out, so the organization's defaults apply
    assert received.json == {
        "question": "Revenue by region?",
        "connector_ids": [1, 2],
        "tools": {"connector_ids": [3], "sql_enabled": True, "python_enabled": False},
    }
    (request,) = fake.requests
    assert (request.method, request.headers["Authorization"]) == ("POST", "Bearer test-key")
    assert isinstance(result, ChatResponse)
    assert _is_uuid(result.id) and _is_uuid(result.chat_id)
    assert isinstance(result.created_at, dt.datetime) and result.created_at.tzinfo is not None
    assert result.model == "sonnet_4"  # the default model of GET /v2/models
    assert result.response is not None and "Revenue by region?" in result.response
    assert [a.type for a in result.assets] == ["chart"]


async def test_every_tool_flag_goes_on_the_wire(fake: FakeTextQL, client: AsyncTextQL) -> None:
    flags = {
        "sql_enabled": True,
        "python_enabled": False,
        "web_search_enabled": True,
        "ontology_enabled": False,
        "tableau_enabled": True,
        "powerbi_enabled": False,
        "google_drive_enabled": True,
    }
    await client.chats.create("q", tools=Tools(connector_ids=[], **flags))
    assert fake.v2.received[0].json == {"question": "q", "tools": {"connector_ids": [], **flags}}


async def test_model_is_sent_and_the_chat_runs_on_it(fake: FakeTextQL, client: AsyncTextQL) -> None:
    result = await client.chats.create("q", model="opus_4")
    assert fake.v2.received[0].json == {"question": "q", "model": "opus_4"}
    assert result.model == "opus_4"
    assert result.chat_id is not None
    assert (await client.chats.get(result.chat_id)).chat.model == "opus_4"


async def test_chat_id_continues_the_chat(fake: FakeTextQL, client: AsyncTextQL) -> None:
    first = await client.chats.create("First question")
    assert first.chat_id is not None
    second = await client.chats.create("Follow-up", chat_id=first.chat_id)
    assert second.chat_id == first.chat_id and second.id != first.id
    assert fake.v2.received[1].json == {"question": "Follow-up", "chat_id": first.chat_id}
    thread = await client.chats.get(first.chat_id)
    assert [m.content for m in thread.messages if m.role == "user"] == ["First question", "Follow-up"]


async def test_model_with_chat_id_is_refused_before_any_request(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    with pytest.raises(ValueError, match="model"):
        await client.chats.create("q", chat_id=str(uuid.uuid4()), model="opus_4")
    assert fake.requests == []


@pytest.mark.parametrize("question", ["", "   "])
async def test_empty_question_is_refused_before_any_request(
    fake: FakeTextQL, client: AsyncTextQL, question: str
) -> None:
    with pytest.raises(ValueError, match="question"):
        await client.chats.create(question)
    with pytest.raises(TypeError):
        await client.chats.create(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="connector ids"):
        await client.chats.create("q", connector_ids=["1"])  # type: ignore[list-item]
    assert fake.requests == []


async def test_files_are_sent_as_multipart(
    fake: FakeTextQL, client: AsyncTextQL, tmp_path: pathlib.Path
) -> None:
    on_disk = tmp_path / "sales.csv"
    on_disk.write_bytes(b"region,revenue\nWest,1204000\n")
    binary = tmp_path / "logo.bin"
    binary.write_bytes(bytes(range(256)))
    with binary.open("rb") as handle:
        result = await client.chats.create(
            "Summarize these files",
            model="gemini_3_5_flash",
            connector_ids=[4, 5],
            files=[on_disk, str(on_disk), ("notes.txt", b"remember Q3"), handle],
        )
    (received,) = fake.v2.received
    assert received.content_type == "multipart/form-data" and received.json is None
    assert received.fields == {
        "question": ["Summarize these files"],
        "model": ["gemini_3_5_flash"],
        "connector_ids": ["4", "5"],
    }
    assert received.files == [
        ("sales.csv", b"region,revenue\nWest,1204000\n"),
        ("sales.csv", b"region,revenue\nWest,1204000\n"),
        ("notes.txt", b"remember Q3"),
        ("logo.bin", bytes(range(256))),
    ]
    assert result.model == "gemini_3_5_flash"


async def test_ten_files_are_allowed(fake: FakeTextQL, client: AsyncTextQL) -> None:
    files = [(f"f{i}.txt", b"x" * i) for i in range(10)]
    await client.chats.create("q", files=files)
    assert len(fake.v2.received[0].files) == 10


async def test_file_input_mistakes_are_refused_before_any_request(
    fake: FakeTextQL, client: AsyncTextQL, tmp_path: pathlib.Path
) -> None:
    eleven = [(f"f{i}.txt", b"x") for i in range(11)]
    with pytest.raises(ValueError, match="at most 10 files"):
        await client.chats.create("q", files=eleven)
    with pytest.raises(ValueError, match="tools"):
        await client.chats.create("q", files=[("a.txt", b"x")], tools=Tools(sql_enabled=True))
    with pytest.raises(ValueError, match="not a file"):
        await client.chats.create("q", files=[tmp_path / "missing.csv"])
    with pytest.raises(TypeError, match="list of files"):
        await client.chats.create("q", files=str(tmp_path / "a.csv"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="list of files"):
        await client.chats.create("q", files=io.BytesIO(b"x"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unsupported file input"):
        await client.chats.create("q", files=[42])  # type: ignore[list-item]
    assert fake.requests == []


async def test_dashboard_url_when_the_answer_has_a_dashboard(client: AsyncTextQL) -> None:
    result = await client.chats.create("Build a dashboard of monthly revenue by region")
    url = result.dashboard_url
    assert url is not None and url.startswith("https://app.textql.com/dashboards/")
    assert _is_uuid(url.rsplit("/", 1)[1])
    (asset,) = result.assets
    assert asset.is_dashboard and asset.type == "dashboard"


async def test_no_dashboard_url_without_a_dashboard_asset(client: AsyncTextQL) -> None:
    result = await client.chats.create("What was revenue last month?")
    assert result.assets and result.dashboard_url is None


async def test_create_dashboard_is_a_thin_create(fake: FakeTextQL, client: AsyncTextQL) -> None:
    question = "Build a dashboard showing monthly revenue by region for the last 12 months"
    result = await client.chats.create_dashboard(question, connector_ids=[1])
    assert fake.v2.received[0].json == {"question": question, "connector_ids": [1]}
    assert result.dashboard_url is not None
    assert result.assets[0].cell_id is not None


async def test_a_model_the_caller_may_not_use_is_permission_denied(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    with pytest.raises(PermissionDeniedError) as info:
        await client.chats.create("q", model="claude_9000")
    assert (info.value.status, info.value.code) == (403, "permission_denied")
    assert "claude_9000" in info.value.message
    assert len(fake.v2.store) == 0


async def test_an_unknown_chat_id_is_not_found(client: AsyncTextQL) -> None:
    with pytest.raises(NotFoundError) as info:
        await client.chats.create("q", chat_id=str(uuid.uuid4()))
    assert info.value.code == "not_found"


async def test_a_failed_answer_is_a_server_error_with_the_reason(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    fake.v2.add_answer("q", error="the warehouse timed out")
    with pytest.raises(ServerError) as info:
        await client.chats.create("q")
    assert info.value.code == "execution_failed"
    assert "the warehouse timed out" in info.value.message


async def test_create_is_not_resent_after_a_server_error(fake: FakeTextQL) -> None:
    # a POST that reached the server may have started an answer: retrying could ask twice
    fake.inject(HTTPError(503), path="/v2/chats")
    async with fake.client(max_retries=3) as client:
        with pytest.raises(ServerError):
            await client.chats.create("q")
    assert [r.path for r in fake.requests] == ["/v2/chats"]
