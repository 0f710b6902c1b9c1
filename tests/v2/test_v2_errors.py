"""v2 error bodies -> typed errors, and the Bearer-only auth of the v2 API."""

from __future__ import annotations

import aiohttp
import pytest

from textql_async import (
    APIError,
    AsyncTextQL,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)
from textql_async.testing import FakeTextQL, HTTPError, error_body


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (400, "invalid_request", BadRequestError),
        (401, "unauthenticated", AuthenticationError),
        (403, "permission_denied", PermissionDeniedError),
        (404, "not_found", NotFoundError),
        (429, "rate_limit_exceeded", RateLimitError),
    ],
)
async def test_error_bodies_map_to_typed_errors(
    fake: FakeTextQL, client: AsyncTextQL, status: int, code: str, error: type[APIError]
) -> None:
    message = f"the server says {code}"
    fake.inject(HTTPError(status, error_body(code, message)), path="/v2/models")
    with pytest.raises(error) as info:
        await client.models.list()
    assert type(info.value) is error
    assert (info.value.status, info.value.code) == (status, code)
    assert message in info.value.message
    assert info.value.body == {"error": {"code": code, "message": message}}
    assert info.value.request_id is not None and info.value.request_id.startswith("req_fake_")


async def test_rate_limit_on_a_read_is_retried(fake: FakeTextQL) -> None:
    fake.inject(
        HTTPError(429, error_body("rate_limit_exceeded", "slow down"), headers={"Retry-After": "0"}),
        path="/v2/chats",
    )
    async with fake.client(max_retries=1) as client:
        page = await client.chats.list()
    assert page.total_count == 0
    assert [r.path for r in fake.requests] == ["/v2/chats", "/v2/chats"]


async def test_a_wrong_key_is_unauthenticated(fake: FakeTextQL) -> None:
    async with fake.client(api_key="not-the-key", max_retries=0) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.chats.create("q")
        with pytest.raises(AuthenticationError):
            async with client.chats.stream("q"):
                pass
    assert (info.value.status, info.value.code) == (401, "unauthenticated")
    assert "not-the-key" not in str(info.value)
    assert fake.v2.received == [] and len(fake.v2.store) == 0


@pytest.mark.parametrize("scheme", ["basic", "none", "bearer-lowercase"])
async def test_only_bearer_auth_is_accepted(fake: FakeTextQL, scheme: str) -> None:
    headers = {
        "basic": fake.auth_headers("basic"),  # what /api/ana accepts, not v2
        "none": {},
        "bearer-lowercase": {"Authorization": f"bearer {fake.api_key}"},
    }[scheme]
    async with aiohttp.ClientSession() as session:
        async with session.get(fake.url + "/v2/models", headers=headers) as response:
            body = await response.json()
    if scheme == "bearer-lowercase":  # the scheme name is case-insensitive (RFC 7235)
        assert response.status == 200 and body["models"]
    else:
        assert response.status == 401
        assert body["error"]["code"] == "unauthenticated"
