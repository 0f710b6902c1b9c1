"""client.partner.database_connectors: create/list, argument checks, server errors, the password."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from _partner_kit import PASSWORD, make_connector, partner_calls, raw

from textql_async import APIError, AsyncTextQL, ServerError, ValidationError
from textql_async.models.partner import DatabaseConnector, connectors_decoder
from textql_async.testing import FakeTextQL, HTTPError

PATH = "/partner/sources/database-connectors"


async def test_create_then_list(fake: FakeTextQL, client: AsyncTextQL) -> None:
    created = await make_connector(client)
    redshift = await make_connector(client, database_type="redshift", port=5439, source_name=None)
    assert created.status == "READY" and created.source_id
    assert (created.database_type, created.host, created.port) == (
        "postgres",
        "db.example.com",
        5432,
    )
    assert (created.database, created.username) == ("analytics", "analyst")
    assert created.source_name == "Production Analytics DB"
    assert redshift.source_name is None and redshift.database_type == "redshift"
    assert await client.partner.database_connectors.list() == [created, redshift]
    assert partner_calls(fake) == [("POST", PATH), ("POST", PATH), ("GET", PATH)]
    # the fake received exactly what was passed, password included
    stored = fake.partner.connectors[created.source_id]
    assert stored.password == PASSWORD and stored.port == 5432


@pytest.mark.parametrize(
    ("kw", "error"),
    [
        ({"database_type": "mysql"}, ValueError),
        ({"database_type": "Postgres"}, ValueError),
        ({"port": 0}, ValueError),
        ({"port": 65536}, ValueError),
        ({"port": "5432"}, TypeError),
        ({"port": True}, TypeError),
        ({"host": " "}, ValueError),
        ({"database": ""}, ValueError),
        ({"username": None}, TypeError),
        ({"password": None}, TypeError),
        ({"source_name": ""}, ValueError),
    ],
)
async def test_bad_arguments_fail_before_any_request(
    fake: FakeTextQL, client: AsyncTextQL, kw: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error) as info:
        await make_connector(client, **kw)
    assert fake.requests == []
    assert PASSWORD not in str(info.value)


async def test_unreachable_database_is_a_server_error_and_not_retried(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    with pytest.raises(ServerError) as info:
        await make_connector(client, host="unreachable.example.com")
    assert info.value.status == 500 and "connection failed" in str(info.value)
    assert len(fake.requests) == 1  # a create is never repeated blindly
    assert fake.partner.connectors == {}


@pytest.mark.parametrize(
    ("change", "field", "kind"),
    [
        ({"port": "not-a-port"}, "port", "int_parsing"),
        ({"port": [5432]}, "port", "int_type"),
        ({"database_type": "mysql"}, "database_type", "literal_error"),
        ({"password": None}, "password", "missing"),
        ({"host": 42}, "host", "string_type"),
    ],
)
async def test_server_validation_is_a_validation_error_naming_the_field(
    client: AsyncTextQL, change: dict[str, Any], field: str, kind: str
) -> None:
    body = {
        "database_type": "postgres",
        "host": "h",
        "port": 5432,
        "database": "d",
        "username": "u",
        "password": PASSWORD,
        **change,
    }
    body = {k: v for k, v in body.items() if v is not None}
    with pytest.raises(ValidationError) as info:  # sent raw: the SDK itself refuses these
        await client._transport.request(
            "POST", "/sources/database-connectors", json=body, auth="partner"
        )
    assert info.value.fields == [field]
    assert info.value.errors[0]["type"] == kind
    assert field in str(info.value)
    assert PASSWORD not in json.dumps(info.value.body)


async def test_fake_never_echoes_the_password(fake: FakeTextQL, client: AsyncTextQL) -> None:
    created = await make_connector(client)
    listed = await raw(fake, "GET", "/sources/database-connectors")
    invalid = await raw(
        fake,
        "POST",
        "/sources/database-connectors",
        body={"password": PASSWORD, "port": "x", "database_type": "oracle"},
    )
    failed = await raw(
        fake,
        "POST",
        "/sources/database-connectors",
        body={
            "database_type": "postgres",
            "host": "unreachable",
            "port": 1,
            "database": "d",
            "username": "u",
            "password": PASSWORD,
        },
    )
    assert [listed[0], invalid[0], failed[0]] == [200, 422, 500]
    for _, _, content in (listed, invalid, failed):
        assert PASSWORD.encode() not in content
    assert all("input" not in e for e in invalid[1]["detail"])
    assert PASSWORD not in repr(created) and PASSWORD not in repr(fake.partner.connectors)


async def test_password_is_scrubbed_from_errors_that_echo_it(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    # the real service is FastAPI: a 422 may carry the whole request body as ``input``
    echoed = {
        "detail": [
            {
                "loc": ["body", "port"],
                "msg": f"bad port (password {PASSWORD})",
                "type": "int_parsing",
                "input": {"password": PASSWORD, "port": 1},
            }
        ]
    }
    fake.inject(HTTPError(422, json.dumps(echoed).encode()), path=PATH)
    with pytest.raises(ValidationError) as info:
        await make_connector(client)
    error = info.value
    assert error.fields == ["port"]
    for shown in (
        str(error),
        repr(error),
        json.dumps(error.body),
        json.dumps(error.errors),
        repr(error.args),
    ):
        assert PASSWORD not in shown
    assert error.errors[0]["input"] == {"password": "***", "port": 1}


async def test_password_never_logged(
    fake: FakeTextQL, client: AsyncTextQL, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.inject(HTTPError(503), path=PATH)
    with pytest.raises(ServerError):
        await make_connector(client)
    await make_connector(client)
    await client.partner.database_connectors.list()
    assert caplog.records, "the transport logs requests at DEBUG"
    for record in caplog.records:
        assert PASSWORD not in record.getMessage()
        assert fake.partner_api_key not in record.getMessage()


def test_connector_model_has_no_password_and_tolerates_unknown_fields() -> None:
    body = b'[{"source_id": "s", "status": "SYNCING", "port": 5439, "brand_new": {"x": 1}}, {}]'
    first, empty = connectors_decoder.decode(body)
    assert (first.source_id, first.status, first.port) == ("s", "SYNCING", 5439)
    assert empty == DatabaseConnector()
    assert "password" not in DatabaseConnector.__struct_fields__


async def test_password_is_scrubbed_from_an_undecodable_success_body(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    echoed = json.dumps({"port": "not-an-int", "password": PASSWORD}).encode()
    fake.inject(HTTPError(200, echoed), path=PATH)
    with pytest.raises(APIError) as info:
        await make_connector(client)
    assert "unexpected response body" in str(info.value)
    assert PASSWORD not in str(info.value.body) + str(info.value) + repr(info.value)
