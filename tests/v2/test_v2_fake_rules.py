"""The fake's v2 chat routes refuse what the service refuses (raw HTTP, past the SDK's checks)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from textql_async.testing import FakeTextQL


@pytest_asyncio.fixture
async def http(fake: FakeTextQL) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(fake.url, headers=fake.auth_headers("bearer")) as session:
        yield session


async def _call(
    http: aiohttp.ClientSession, method: str, path: str, **kwargs: Any
) -> tuple[int, Any]:
    async with http.request(method, path, **kwargs) as response:
        return response.status, await response.json()


def _form(question: str | None, files: int = 0, **fields: str) -> aiohttp.FormData:
    form = aiohttp.FormData()
    if question is not None:
        form.add_field("question", question)
    for name, value in fields.items():
        form.add_field(name, value)
    for i in range(files):
        form.add_field("files", b"x", filename=f"f{i}.txt")
    return form


@pytest.mark.parametrize(
    "body",
    [{}, {"question": ""}, {"question": "  "}, {"question": 3}, [], {"question": "q", "tools": 1},
     {"question": "q", "connector_ids": ["1"]}, {"question": "q", "tools": {"sql_enabled": "yes"}}],
)
async def test_invalid_json_requests_are_400(
    fake: FakeTextQL, http: aiohttp.ClientSession, body: object
) -> None:
    for path in ("/v2/chats", "/v2/chats/stream"):
        status, answer = await _call(http, "POST", path, json=body)
        assert (status, answer["error"]["code"]) == (400, "invalid_request")
    assert len(fake.v2.store) == 0


async def test_invalid_multipart_requests_are_400(
    fake: FakeTextQL, http: aiohttp.ClientSession
) -> None:
    cases = [_form(None), _form(""), _form("q", files=11), _form("q", connector_ids="one")]
    for form in cases:
        status, answer = await _call(http, "POST", "/v2/chats", data=form)
        assert (status, answer["error"]["code"]) == (400, "invalid_request")
    status, answer = await _call(http, "POST", "/v2/chats", data=_form("q", files=10))
    assert status == 200 and answer["chat_id"]
    assert [len(r.files) for r in fake.v2.received] == [0, 0, 11, 0, 10]


async def test_other_bodies_are_400(http: aiohttp.ClientSession) -> None:
    status, answer = await _call(http, "POST", "/v2/chats", data=b"{not json")
    assert status == 400 and "JSON" in answer["error"]["message"]
    status, _ = await _call(
        http, "POST", "/v2/chats", data=b"question=q", headers={"Content-Type": "text/plain"}
    )
    assert status == 400


async def test_model_with_chat_id_is_400(fake: FakeTextQL, http: aiohttp.ClientSession) -> None:
    chat_id = fake.v2.add_chat("q")
    status, answer = await _call(
        http, "POST", "/v2/chats", json={"question": "q", "chat_id": chat_id, "model": "opus_4"}
    )
    assert (status, answer["error"]["code"]) == (400, "invalid_request")
    status, _ = await _call(http, "POST", "/v2/chats", data=_form("q", chat_id=chat_id, model="x"))
    assert status == 400


@pytest.mark.parametrize(
    "query",
    [{"limit": "0"}, {"limit": "101"}, {"limit": "ten"}, {"offset": "-1"},
     {"sort_by": "size"}, {"sort_direction": "up"}],
)
async def test_list_parameters_out_of_range_are_400(
    http: aiohttp.ClientSession, query: dict[str, str]
) -> None:
    status, answer = await _call(http, "GET", "/v2/chats", params=query)
    assert (status, answer["error"]["code"]) == (400, "invalid_request")


async def test_list_defaults_to_20(fake: FakeTextQL, http: aiohttp.ClientSession) -> None:
    for i in range(25):
        fake.v2.add_chat(f"q{i}")
    status, answer = await _call(http, "GET", "/v2/chats")
    assert status == 200 and len(answer["chats"]) == 20 and answer["total_count"] == 25


async def test_cells_limit_out_of_range_falls_back_to_200(
    fake: FakeTextQL, http: aiohttp.ClientSession
) -> None:
    chat_id = fake.v2.add_chat(*(f"q{i}" for i in range(80)))  # 240 cells, 3 a turn
    for limit in ("0", "501", "-3"):
        status, answer = await _call(http, "GET", f"/v2/chats/{chat_id}/cells", params={"limit": limit})
        assert status == 200 and len(answer["cells"]) == 201 and answer["has_more"]
    status, answer = await _call(http, "GET", f"/v2/chats/{chat_id}/cells", params={"limit": "500"})
    assert len(answer["cells"]) == 240 and not answer["has_more"]
    status, answer = await _call(http, "GET", f"/v2/chats/{chat_id}/cells", params={"offset": "-1"})
    assert status == 400


async def test_unknown_routes_and_methods_answer_json(http: aiohttp.ClientSession) -> None:
    status, answer = await _call(http, "GET", "/v2/nothing-here")
    assert (status, answer["error"]["code"]) == (404, "not_found")
    status, answer = await _call(http, "DELETE", "/v2/models")
    assert status == 405 and "error" in answer
