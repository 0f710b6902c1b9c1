"""The minted secret is returned once: never in a repr, a str, a log record or an error."""

from __future__ import annotations

import copy
import json
import logging
import pickle

import msgspec
import pytest
from _api_keys_kit import ROLE
from rich.pretty import pretty_repr

from textql_async import APIError, AsyncTextQL
from textql_async.models.api_keys import ApiKey, MintedApiKey, Secret
from textql_async.testing import FakeTextQL, HTTPError

VALUE = "tqlk_Distinctive-Secret-9f2c"


def _views(value: object) -> list[str]:
    return [repr(value), str(value), f"{value}", f"{value!r}", format(value), pretty_repr(value)]


def test_a_secret_never_prints() -> None:
    secret = Secret(VALUE)
    for view in _views(secret):
        assert VALUE not in view and "***" in view
    assert secret.reveal() == VALUE
    assert secret == Secret(VALUE) and secret != Secret("other") and secret != VALUE
    assert hash(secret) == hash(Secret(VALUE)) and bool(secret) and not Secret("")
    assert copy.deepcopy(secret) is secret and copy.copy(secret) is secret
    with pytest.raises(TypeError):
        Secret(123)  # type: ignore[arg-type]


def test_a_secret_is_not_serialized_by_accident() -> None:
    minted = MintedApiKey(key=Secret(VALUE), api_key=ApiKey(id="k1"))
    with pytest.raises(TypeError):
        pickle.dumps(Secret(VALUE))
    with pytest.raises(TypeError):
        msgspec.json.encode(minted)
    with pytest.raises(TypeError):
        json.dumps({"key": Secret(VALUE)})


async def test_minted_and_rotated_keys_never_print_their_secret(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    minted = await client.api_keys.mint(assumed_roles=[ROLE], expiry_seconds=900)
    rotated = await client.api_keys.rotate(minted.id or "")
    for result in (minted, rotated):
        secret = result.key.reveal()
        assert fake.api_keys.by_secret(secret) is not None
        for view in _views(result):
            assert secret not in view and "key='***'" in view.replace("\n", "").replace(" ", "")
        stored = fake.api_keys.by_secret(secret)
        assert secret not in repr(stored)  # the fake's store does not print them either


async def test_secrets_never_reach_a_log_record(
    fake: FakeTextQL, client: AsyncTextQL, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    minted = await client.api_keys.mint(assumed_roles=[ROLE], client_id={"tenant_id": "acme"})
    rotated = await client.api_keys.rotate(minted.id or "")
    async with fake.client(api_key=rotated.key.reveal(), max_retries=0) as as_new:
        await as_new.api_keys.list()
    await client.api_keys.revoke(rotated.id or "")
    with pytest.raises(APIError):
        await client.api_keys.revoke(rotated.id or "")
    logging.getLogger("test").debug("minted %s then %r", minted, rotated)  # a careless caller
    assert any("/v2/api-keys" in r.getMessage() for r in caplog.records)  # DEBUG was on
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records) + caplog.text
    for secret in (minted.key.reveal(), rotated.key.reveal()):
        assert secret not in logged


async def test_an_undecodable_mint_answer_is_not_quoted_in_the_error(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    body = json.dumps({"key": VALUE, "api_key": {"assumed_roles": "not-a-list"}}).encode()
    for path, call in (
        ("/v2/api-keys", lambda: client.api_keys.mint(inherit_all_roles=True)),
        ("/v2/api-keys/k1/rotate", lambda: client.api_keys.rotate("k1")),
    ):
        fake.inject(HTTPError(201, body), path=path)
        with pytest.raises(APIError) as caught:
            await call()
        error = caught.value
        assert "unexpected response body" in error.message and "assumed_roles" in error.message
        for text in (str(error), repr(error), repr(error.body), repr(error.args)):
            assert VALUE not in text


async def test_a_mint_answer_without_a_key_is_an_error(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    fake.inject(HTTPError(201, b'{"api_key": {"id": "k1"}}'), path="/v2/api-keys")
    with pytest.raises(APIError, match="key"):
        await client.api_keys.mint(inherit_all_roles=True)


def test_embed_url_reveals_the_key_only_in_the_url() -> None:
    client = AsyncTextQL(api_key="long-lived", base_url="https://app.textql.com")
    url = client.api_keys.embed_url(Secret("a+b/c="))
    assert url == "https://app.textql.com/embed?authKey=a%2Bb%2Fc%3D"
    assert client.api_keys.embed_url("k", app_url="https://eu.textql.com/") == (
        "https://eu.textql.com/embed?authKey=k"
    )
    for bad in (Secret(""), ""):
        with pytest.raises(ValueError):
            client.api_keys.embed_url(bad)
