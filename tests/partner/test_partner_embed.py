"""client.partner.embed_token and embed_url."""

from __future__ import annotations

import base64
import json

import pytest
from _partner_kit import make_connector

from textql_async import AsyncTextQL, NotFoundError, RetryPolicy, ValidationError
from textql_async.models.partner import embed_url
from textql_async.testing import FakeTextQL, HTTPError


def _claims(token: str) -> dict[str, object]:
    parts = token.split(".")
    assert len(parts) == 3 and all(parts)
    for part in parts:  # base64url, unpadded, like a JWT
        assert set(part) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    assert header["typ"] == "JWT"
    claims: dict[str, object] = json.loads(
        base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
    )
    return claims


async def test_token_for_a_space(fake: FakeTextQL, client: AsyncTextQL) -> None:
    source = await make_connector(client)
    assert source.source_id is not None
    space = await client.partner.spaces.create(source.source_id, "S", "cust_1")
    assert space.space_id is not None
    token = await client.partner.embed_token(
        "ana@example.com", "Ana Lytics", customer_id="cust_1", space_id=space.space_id
    )
    claims = _claims(token)
    assert claims["sub"] == "ana@example.com" and claims["name"] == "Ana Lytics"
    assert claims["space_id"] == space.space_id and claims["customer_id"] == "cust_1"
    assert (fake.requests[-1].method, fake.requests[-1].path) == ("POST", "/partner/embed/token")


async def test_token_without_optional_fields(client: AsyncTextQL) -> None:
    claims = _claims(await client.partner.embed_token("bo@example.com", "Bo"))
    assert "space_id" not in claims and "customer_id" not in claims


async def test_unknown_space_is_not_found(client: AsyncTextQL) -> None:
    with pytest.raises(NotFoundError, match="Space not found"):
        await client.partner.embed_token("a@example.com", "A", space_id="space_nope")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("", "Ana"), ValueError),
        (("a@example.com", " "), ValueError),
        ((None, "Ana"), TypeError),
    ],
)
async def test_bad_arguments_fail_before_any_request(
    fake: FakeTextQL, client: AsyncTextQL, args: tuple[object, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        await client.partner.embed_token(*args)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await client.partner.embed_token("a@example.com", "A", space_id="")
    assert fake.requests == []


async def test_missing_email_is_a_validation_error_listing_the_field(client: AsyncTextQL) -> None:
    with pytest.raises(ValidationError) as info:  # sent raw: the SDK requires an email
        await client._transport.request(
            "POST", "/embed/token", json={"name": "Ana", "space_id": 3}, auth="partner"
        )
    assert sorted(info.value.fields) == ["email", "space_id"]
    assert "email: Field required" in str(info.value)
    assert info.value.status == 422


async def test_token_request_is_retried_after_a_transient_failure(fake: FakeTextQL) -> None:
    fake.inject(HTTPError(503), path="/partner/embed/token")
    async with fake.client(retry_policy=RetryPolicy(max_retries=2, base=0.001)) as client:
        token = await client.partner.embed_token("a@example.com", "A")
    assert token.count(".") == 2 and len(fake.requests) == 2


def test_embed_url() -> None:
    url = embed_url("space_789", "aaa.bbb.ccc")
    assert url == "https://app.breadcrumb.ai/embed/spaces/space_789?embed_token=aaa.bbb.ccc"
    assert embed_url("a/b", "t+k", app_url="https://embed.example/") == (
        "https://embed.example/embed/spaces/a%2Fb?embed_token=t%2Bk"
    )


async def test_embed_url_on_the_resource(fake: FakeTextQL, client: AsyncTextQL) -> None:
    assert client.partner.embed_url("sp", "tok") == embed_url("sp", "tok")
    with pytest.raises(ValueError):
        client.partner.embed_url("", "tok")
    assert fake.requests == []
