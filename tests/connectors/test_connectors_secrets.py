"""Secrets are write-only: on the wire, and nowhere else (repr, str, rich, logs, responses)."""

from __future__ import annotations

import json
import logging

import pytest
from _connectors_kit import ALL_SECRETS, NEW_PASSWORD, PG_PASSWORD, SF_SECRETS, pg, snowflake
from rich.pretty import pretty_repr

from textql_async import AsyncTextQL, BadRequestError
from textql_async.models.connectors import (
    ConnectorConfig,
    MySQLMetadata,
    PostgresMetadata,
    RedshiftMetadata,
)
from textql_async.testing import FakeTextQL, HTTPError, error_body


def _views(value: object) -> list[str]:
    return [repr(value), str(value), f"{value}", f"{value!r}", pretty_repr(value)]


@pytest.mark.parametrize(
    "struct",
    [
        PostgresMetadata(host="db.example.com", user="u", database="d", password=PG_PASSWORD),
        RedshiftMetadata(host="db.example.com", database="d", password=PG_PASSWORD),
        MySQLMetadata(host="db.example.com", user="u", database="d", password=PG_PASSWORD),
        pg(),
        snowflake().snowflake,
        snowflake(),
        ConnectorConfig(
            connector_type="BIGQUERY",
            name="bq",
            extra_metadata={"bigquery": {"service_account_json": PG_PASSWORD}},
        ),
    ],
    ids=lambda s: type(s).__name__,
)
def test_no_secret_in_any_printed_form(struct: object) -> None:
    for view in _views(struct):
        for secret in ALL_SECRETS:
            assert secret not in view
        assert "'***'" in view or "***" in view


def test_repr_masks_only_the_secrets() -> None:
    config = snowflake()
    text = repr(config)
    assert text.startswith("ConnectorConfig(connector_type='SNOWFLAKE', name='sf'")
    for name in SF_SECRETS:
        assert f"{name}='***'" in text
    for visible in ("myorg-account123", "COMPUTE_WH", "REPORTER", "client-id-visible"):
        assert visible in text
    assert "extra_metadata={'bigquery': '***'}" in repr(
        ConnectorConfig(connector_type="BIGQUERY", name="bq", extra_metadata={"bigquery": {}})
    )


def test_a_blank_secret_shows_as_blank() -> None:
    # so a reader can tell "keep the stored password" from "a password is set"
    assert "password=None" in repr(pg(password=None).postgres)
    assert "password=''" in repr(pg(password="").postgres)
    assert "password='***'" in repr(pg().postgres)


def test_the_wire_form_still_carries_the_secret() -> None:
    import msgspec

    assert msgspec.to_builtins(pg().postgres)["password"] == PG_PASSWORD


async def test_secrets_never_reach_a_log_record(
    fake: FakeTextQL, client: AsyncTextQL, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    created = await client.connectors.create(pg())
    await client.connectors.update(created.id, pg(password=NEW_PASSWORD))
    await client.connectors.test(pg(password=None), connector_id=created.id)
    await client.connectors.test(pg(host="db.unreachable.example"))
    await client.connectors.create(snowflake())
    with pytest.raises(BadRequestError):
        await client.connectors.create(pg("other", host=""))
    assert any("/v2/connectors" in r.getMessage() for r in caplog.records)  # DEBUG was on
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records) + caplog.text
    for secret in ALL_SECRETS:
        assert secret not in logged


async def test_the_fake_never_echoes_a_secret(fake: FakeTextQL, client: AsyncTextQL) -> None:
    created = await client.connectors.create(pg())
    sf = await client.connectors.create(snowflake())
    await client.connectors.list()
    await client.connectors.update(created.id, pg(password=NEW_PASSWORD))
    await client.connectors.update(sf.id, snowflake(password=None))
    await client.connectors.test(pg(password=None), connector_id=created.id)
    await client.connectors.test(pg(host="db.unreachable.example", password=PG_PASSWORD))
    await client.connectors.access(created.id)
    for bad in (pg("x", host=""), pg("x", port="5432"), snowflake("sf2", warehouse="")):
        with pytest.raises(BadRequestError) as caught:  # errors name fields, never values
            await client.connectors.create(bad)
        for secret in ALL_SECRETS:
            assert secret not in str(caught.value) and secret not in repr(caught.value.body)
    await client.connectors.delete(created.id)
    assert len(fake.responses) >= 12
    for response in fake.responses:
        for secret in ALL_SECRETS:
            assert secret.encode() not in response.body
    # ...while the store kept them (they are write-only, not dropped)
    stored = fake.connectors.get(sf.id)
    assert stored is not None and stored.metadata["password"] == SF_SECRETS["password"]
    assert PG_PASSWORD not in repr(stored) and SF_SECRETS["password"] not in repr(stored)


async def test_a_server_that_echoes_a_secret_is_scrubbed(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    echo = error_body("invalid_request", f"password {PG_PASSWORD!r} is too weak")
    for path, call in (
        ("/v2/connectors", lambda: client.connectors.create(pg())),
        ("/v2/connectors/1", lambda: client.connectors.update(1, pg())),
        ("/v2/connectors/test", lambda: client.connectors.test(pg())),
    ):
        fake.inject(HTTPError(400, echo), path=path)
        with pytest.raises(BadRequestError) as caught:
            await call()
        error = caught.value
        assert "is too weak" in error.message and "***" in error.message
        for text in (str(error), repr(error), error.message, repr(error.body), repr(error.args)):
            assert PG_PASSWORD not in text


async def test_a_test_error_that_quotes_a_secret_is_scrubbed(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    body = json.dumps({"success": False, "error": f"auth failed for 'analyst' / {PG_PASSWORD}"})
    fake.inject(HTTPError(200, body.encode()), path="/v2/connectors/test")
    result = await client.connectors.test(pg())
    assert result.success is False
    assert result.error == "auth failed for 'analyst' / ***"
