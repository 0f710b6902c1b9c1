"""Connect errors -> typed errors by code, retries, auth, and the fake's protocol checks."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from textql_async import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RetryPolicy,
    ServerError,
)
from textql_async.testing import FakeTextQL, HTTPError

FAST = RetryPolicy(max_retries=2, base=0.001, cap=0.002)
FIRST = "5d1c7a9e-0001-4a6b-9c1f-3e2d4b5a6c01"


def connect_body(code: str, message: str = "boom") -> bytes:
    detail = {"type": "google.rpc.ErrorInfo", "value": "AAAA", "debug": {"reason": "x"}}
    return json.dumps({"code": code, "message": message, "details": [detail]}).encode()


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (401, "unauthenticated", AuthenticationError),
        (403, "permission_denied", PermissionDeniedError),
        (404, "not_found", NotFoundError),
        (400, "invalid_argument", BadRequestError),
        (400, "failed_precondition", BadRequestError),
        (409, "already_exists", ConflictError),
        # the code decides, whatever the HTTP status a proxy left
        (400, "not_found", NotFoundError),
    ],
)
async def test_connect_error_codes_map_to_typed_errors(
    status: int, code: str, error: type[APIError]
) -> None:
    async with FakeTextQL() as fake, fake.client(max_retries=0) as client:
        fake.inject(HTTPError(status, connect_body(code, "the message")), path="/v1/chat/get")
        with pytest.raises(error) as info:
            await client.v1.chats.get(FIRST)
    assert type(info.value) is error
    assert info.value.code == code and info.value.status == status
    assert "the message" in str(info.value)
    assert isinstance(info.value.body, dict) and info.value.body["details"][0]["debug"]


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "invalid_argument"),
        (401, "unauthenticated"),
        (403, "permission_denied"),
        (404, "not_found"),
        (409, "already_exists"),
        (501, "unimplemented"),
    ],
)
async def test_connect_errors_that_are_not_transient_are_not_retried(
    status: int, code: str
) -> None:
    async with FakeTextQL() as fake, fake.client(retry_policy=FAST) as client:
        fake.inject(HTTPError(status, connect_body(code)), times=None, path="/v1/chat/get")
        with pytest.raises(APIError):
            await client.v1.chats.get(FIRST)
    assert len(fake.requests) == 1


async def test_resource_exhausted_is_a_rate_limit_error_once_retries_are_spent() -> None:
    async with FakeTextQL() as fake, fake.client(retry_policy=FAST) as client:
        fake.inject(
            HTTPError(429, connect_body("resource_exhausted"), headers={"Retry-After": "0"}),
            times=3,
            path="/v1/chat/list",
        )
        with pytest.raises(RateLimitError) as info:
            await client.v1.chats.list()
    assert info.value.code == "resource_exhausted" and info.value.retry_after == 0.0
    assert len(fake.requests) == 3  # first try plus two retries


async def test_unavailable_is_retried_then_succeeds() -> None:
    async with FakeTextQL() as fake, fake.client(retry_policy=FAST) as client:
        fake.inject(HTTPError(503, connect_body("unavailable")), times=2, path="/v1/chat/get")
        thread = await client.v1.chats.get(FIRST)
    assert thread.chat.id == FIRST
    assert [r.path for r in fake.requests] == ["/v1/chat/get"] * 3
    assert all(r.headers["Connect-Protocol-Version"] == "1" for r in fake.requests)


async def test_unavailable_becomes_a_server_error_when_retries_run_out() -> None:
    async with FakeTextQL() as fake, fake.client(retry_policy=FAST) as client:
        fake.inject(HTTPError(503, connect_body("unavailable")), times=None)
        with pytest.raises(ServerError) as info:
            await client.v1.chats.cancel(FIRST)
    assert info.value.code == "unavailable" and len(fake.requests) == 3


async def test_wrong_key_is_an_authentication_error_from_the_fake() -> None:
    async with FakeTextQL() as fake, fake.client(api_key="wrong-key") as client:
        with pytest.raises(AuthenticationError) as info:
            await client.v1.chats.list()
    assert info.value.code == "unauthenticated" and info.value.status == 401
    assert "wrong-key" not in str(info.value)
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda c: c.v1.chats.get(""), ValueError),
        (lambda c: c.v1.chats.get("   "), ValueError),
        (lambda c: c.v1.chats.get(None), TypeError),
        (lambda c: c.v1.chats.cancel(""), ValueError),
        (lambda c: c.v1.chats.create("hi"), ValueError),
        (lambda c: c.v1.chats.create("Revenue?", chat_id=""), ValueError),
        (lambda c: c.v1.chats.create("Revenue?", tools={"sqlEnabled": True}), TypeError),
        (lambda c: c.v1.chats.create("Revenue?", connector_ids=["1"]), TypeError),
    ],
)
async def test_bad_arguments_fail_before_any_request(call: Any, error: type) -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        with pytest.raises(error):
            await call(client)
    assert fake.requests == []


# -- the fake, called with plain aiohttp ---------------------------------------------------


async def _post(
    fake: FakeTextQL, path: str, body: object, headers: dict[str, str], method: str = "POST"
) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        async with session.request(method, fake.url + path, data=data, headers=headers) as resp:
            text = await resp.text()
            return resp.status, json.loads(text) if text.startswith("{") else text


async def test_fake_rejects_a_request_without_the_connect_header() -> None:
    json_type = {"Content-Type": "application/json"}
    async with FakeTextQL() as fake:
        auth = {**fake.auth_headers("bearer"), **json_type}
        missing = await _post(fake, "/v1/chat/get", {"chatId": FIRST}, auth)
        wrong = await _post(
            fake, "/v1/chat/get", {"chatId": FIRST}, {**auth, "Connect-Protocol-Version": "2"}
        )
        ok = await _post(
            fake, "/v1/chat/get", {"chatId": FIRST}, {**auth, "Connect-Protocol-Version": "1"}
        )
    assert missing == (
        400,
        {
            "code": "invalid_argument",
            "message": 'missing required header: set Connect-Protocol-Version to "1"',
        },
    )
    assert wrong[0] == 400 and wrong[1]["code"] == "invalid_argument"
    assert ok[0] == 200 and ok[1]["chat"]["id"] == FIRST


@pytest.mark.parametrize(
    ("path", "body", "extra", "status", "code"),
    [
        ("/v1/chat/list", {}, {"Authorization": "Bearer nope"}, 401, "unauthenticated"),
        ("/v1/chat/list", {}, {"Authorization": ""}, 401, "unauthenticated"),
        ("/v1/chat/list", b"{not json", {}, 400, "invalid_argument"),
        ("/v1/chat/list", [1, 2], {}, 400, "invalid_argument"),
        ("/v1/chat/list", {"limit": -1}, {}, 400, "invalid_argument"),
        ("/v1/chat/list", {"sortBy": 7}, {}, 400, "invalid_argument"),
        ("/v1/chat/list", {"memberOnly": "yes"}, {}, 400, "invalid_argument"),
        ("/v1/chat/list", {}, {"Connect-Timeout-Ms": "soon"}, 400, "invalid_argument"),
        ("/v1/chat/get", {"chatId": "missing"}, {}, 404, "not_found"),
        ("/v1/chat/get", {}, {}, 400, "invalid_argument"),
        ("/v1/chat", {"question": "hi"}, {}, 400, "invalid_argument"),
    ],
)
async def test_fake_answers_connect_errors(
    path: str, body: object, extra: dict[str, str], status: int, code: str
) -> None:
    async with FakeTextQL() as fake:
        headers = {
            **fake.auth_headers("bearer"),
            "Content-Type": "application/json",
            "Connect-Protocol-Version": "1",
            **extra,
        }
        got_status, got = await _post(fake, path, body, headers)
    assert got_status == status and got["code"] == code and got["message"]


async def test_fake_accepts_numeric_strings_and_ignores_unknown_fields_like_protojson() -> None:
    async with FakeTextQL() as fake:
        headers = {
            **fake.auth_headers("bearer"),
            "Content-Type": "application/json",
            "Connect-Protocol-Version": "1",
        }
        status, page = await _post(
            fake, "/v1/chat/list", {"limit": "2", "futureFilter": True}, headers
        )
        cancel = await _post(fake, "/v1/chat/cancel", {"chatId": "missing"}, headers)
        wrong_type = await _post(
            fake, "/v1/chat/list", b"{}", {**headers, "Content-Type": "text/plain"}
        )
        get_method = await _post(fake, "/v1/chat/list", b"", headers, method="GET")
    assert status == 200 and len(page["chats"]) == 2 and page["totalCount"] == 5
    assert cancel == (200, {})  # proto3 leaves exists=false out
    assert wrong_type[0] == 415
    assert get_method[0] == 405
