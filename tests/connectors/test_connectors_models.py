"""Decoding is lenient: unknown fields are ignored, unknown enum values kept, omitted defaults filled."""

from __future__ import annotations

import datetime as dt

from _connectors_kit import pg

from textql_async import AsyncTextQL
from textql_async.models.connectors import (
    Connector,
    ConnectorAccess,
    ConnectorAccessGrant,
    DeleteConnectorResult,
    TestConnectorResult,
    access_decoder,
    connection_test_decoder,
    connector_list_decoder,
    delete_result_decoder,
    types_decoder,
)
from textql_async.testing import FakeTextQL, HTTPError


def test_unknown_connector_types_and_fields_are_tolerated() -> None:
    listed = connector_list_decoder.decode(
        b'[{"id": 3, "name": "ticks", "type": "KDB", "created_at": "2026-01-01", "owner": {"x": 1}},'
        b' {"id": 4}]'
    )
    assert listed == [Connector(id=3, name="ticks", type="KDB"), Connector(id=4)]


def test_types_tolerate_new_types_and_field_kinds() -> None:
    decoded = types_decoder.decode(
        b'{"types": [{"connector_type": "KDB", "config_key": "kdb", "docs_url": "u",'
        b' "fields": [{"name": "tls", "type": "object", "required": true},'
        b' {"name": "token", "type": "string", "confidential": true}]}], "next": null}'
    )
    (info,) = decoded.types
    assert (info.connector_type, info.config_key) == ("KDB", "kdb")
    assert [f.type for f in info.fields] == ["object", "string"]
    assert info.fields[0].confidential is False and info.fields[0].optional_on_update is False
    assert info.confidential_fields == ["token"]


def test_access_keeps_unknown_access_types_and_parses_expiry() -> None:
    access = access_decoder.decode(
        b'{"is_public": false, "audit": [], "grants": [{"access_type": "commenter",'
        b' "team_id": "t1", "group_id": "g1", "granted_by": "m0",'
        b' "expires_at": "2026-09-16T12:00:00Z"}]}'
    )
    (grant,) = access.grants
    assert grant.access_type == "commenter" and grant.group_id == "g1"
    assert grant.expires_at == dt.datetime(2026, 9, 16, 12, tzinfo=dt.timezone.utc)


def test_omitted_defaults_read_as_false() -> None:
    # proto3 JSON leaves out false and empty values
    assert connection_test_decoder.decode(b"{}") == TestConnectorResult(success=False, error=None)
    assert access_decoder.decode(b"{}") == ConnectorAccess(is_public=False, grants=[])
    assert delete_result_decoder.decode(b'{"id": 5}') == DeleteConnectorResult(id=5, success=False)
    result = connection_test_decoder.decode(b'{"success": true, "error": "", "latency_ms": 12}')
    assert result.success is True and result.error == ""


def test_result_is_not_collected_as_a_pytest_class() -> None:
    # imported into this module on purpose: pytest would warn (an error here) if it tried
    assert TestConnectorResult.__test__ is False


async def test_a_stored_connector_of_an_unknown_type_lists_fine(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    seeded = fake.connectors.seed("ticks", "KDB", metadata={"host": "kdb.example.com"})
    assert await client.connectors.list() == [Connector(id=seeded.id, name="ticks", type="KDB")]
    assert (await client.connectors.access(seeded.id)).is_public is True


async def test_server_extras_are_ignored_end_to_end(fake: FakeTextQL, client: AsyncTextQL) -> None:
    fake.inject(
        HTTPError(201, b'{"id": 9, "name": "dw", "type": "POSTGRES_V2", "config": {}, "v": 2}'),
        path="/v2/connectors",
    )
    assert await client.connectors.create(pg("dw")) == Connector(
        id=9, name="dw", type="POSTGRES_V2"
    )


def test_grant_helpers_build_one_principal_each() -> None:
    assert ConnectorAccessGrant.for_member("m") == ConnectorAccessGrant(
        access_type="viewer", member_id="m"
    )
    assert ConnectorAccessGrant.for_role("r", "editor").role_id == "r"
    assert ConnectorAccessGrant.for_group("g", "owner").access_type == "owner"
