"""Every connectors method against the fake: results, and the exact bodies on the wire."""

from __future__ import annotations

import pytest
from _connectors_kit import NEW_PASSWORD, PG_PASSWORD, SF_SECRETS, mysql, pg, redshift, snowflake

from textql_async import AsyncTextQL, NotFoundError
from textql_async.models.connectors import (
    Connector,
    ConnectorAccess,
    ConnectorAccessGrant,
    ConnectorConfig,
    SnowflakeMetadata,
)
from textql_async.testing import FakeTextQL

ROLE = "80de0196-496f-44fe-9d4c-8013b3b44082"
MEMBER = "9b2f7a64-11d0-4c1b-8f3e-2f9c5b7f6e10"


async def test_list_starts_empty_and_shows_what_was_created(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    assert await client.connectors.list() == []
    created = await client.connectors.create(pg("warehouse"))
    other = await client.connectors.create(mysql("shop"))
    listed = await client.connectors.list()
    assert listed == [created, other]
    assert listed[0] == Connector(id=created.id, name="warehouse", type="POSTGRES")
    assert [(r.method, r.path) for r in fake.requests][-1] == ("GET", "/v2/connectors")


async def test_create_sends_the_documented_body_and_returns_201_connector(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    connector = await client.connectors.create(pg("warehouse", port=6543, schemas=["public"]))
    assert connector.id > 0 and connector.name == "warehouse" and connector.type == "POSTGRES"
    assert fake.responses[-1].status == 201
    request = fake.requests[-1]
    assert (request.method, request.path) == ("POST", "/v2/connectors")
    assert request.headers["Authorization"] == f"Bearer {fake.api_key}"
    assert request.headers["Content-Type"] == "application/json"
    assert fake.connectors.bodies[-1].json == {
        "config": {
            "connector_type": "POSTGRES",
            "name": "warehouse",
            "postgres": {
                "host": "db.example.com",
                "user": "analyst",
                "database": "sales",
                "password": PG_PASSWORD,
                "port": 6543,
                "schemas": ["public"],
            },
        }
    }  # unset optional fields (ssl_mode, auth_strategy, other types) are left out
    stored = fake.connectors.get(connector.id)
    assert stored is not None and stored.metadata["password"] == PG_PASSWORD


@pytest.mark.parametrize(
    ("config", "key"),
    [(redshift(), "redshift"), (mysql(), "mysql"), (snowflake(), "snowflake")],
)
async def test_create_every_typed_connector(
    fake: FakeTextQL, client: AsyncTextQL, config: ConnectorConfig, key: str
) -> None:
    connector = await client.connectors.create(config)
    assert connector.type == config.connector_type
    sent = fake.connectors.bodies[-1].json["config"]
    assert set(sent) == {"connector_type", "name", key}
    if key == "snowflake":
        assert {k: sent[key][k] for k in SF_SECRETS} == SF_SECRETS
        assert sent[key]["warehouse"] == "COMPUTE_WH"


async def test_create_with_access_applies_it_and_keeps_the_creator_owner(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    access = ConnectorAccess(is_public=False, grants=[ConnectorAccessGrant.for_role(ROLE)])
    connector = await client.connectors.create(pg(), access=access)
    assert fake.connectors.bodies[-1].json["access"] == {
        "is_public": False,
        "grants": [{"access_type": "viewer", "role_id": ROLE}],
    }
    got = await client.connectors.access(connector.id)
    assert got.is_public is False
    assert [(g.member_id, g.role_id, g.access_type) for g in got.grants] == [
        (fake.member_id, None, "owner"),
        (None, ROLE, "viewer"),
    ]


async def test_create_without_access_is_org_visible(client: AsyncTextQL, fake: FakeTextQL) -> None:
    connector = await client.connectors.create(pg())
    assert "access" not in fake.connectors.bodies[-1].json
    access = await client.connectors.access(connector.id)
    assert access.is_public is True
    assert access.grants == [
        ConnectorAccessGrant(
            access_type="owner", member_id=fake.member_id, granted_by=fake.member_id
        )
    ]


async def test_types_lists_the_four_types_with_secret_flags(client: AsyncTextQL) -> None:
    types = {t.connector_type: t for t in await client.connectors.types()}
    assert set(types) == {"POSTGRES", "REDSHIFT", "MYSQL", "SNOWFLAKE"}
    postgres = types["POSTGRES"]
    assert postgres.config_key == "postgres"
    password = next(f for f in postgres.fields if f.name == "password")
    assert password.confidential and password.optional_on_update and password.type == "string"
    host = next(f for f in postgres.fields if f.name == "host")
    assert not host.confidential and not host.optional_on_update
    assert next(f for f in postgres.fields if f.name == "port").type == "number"
    # the fake's catalogue and the SDK's masked fields agree on what is secret
    assert set(types["SNOWFLAKE"].confidential_fields) == set(SF_SECRETS)
    assert set(types["SNOWFLAKE"].confidential_fields) == SnowflakeMetadata._confidential


async def test_test_reports_success(fake: FakeTextQL, client: AsyncTextQL) -> None:
    result = await client.connectors.test(pg(host="db.example.com"))
    assert result.success is True and result.error is None
    assert fake.connectors.bodies[-1].json.keys() == {"config"}
    assert fake.connectors.store == {}  # a test never saves


async def test_test_failure_is_data_not_an_exception(client: AsyncTextQL) -> None:
    result = await client.connectors.test(pg(host="db.unreachable.example"))
    assert result.success is False
    assert result.error is not None and "db.unreachable.example" in result.error


async def test_test_with_connector_id_fills_blank_secrets_from_the_store(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    connector = await client.connectors.create(pg())
    result = await client.connectors.test(pg(password=None), connector_id=connector.id)
    assert result.success is True
    body = fake.connectors.bodies[-1].json
    assert body["connector_id"] == str(connector.id)  # a string in the spec
    assert "password" not in body["config"]["postgres"]
    assert fake.connectors.tested[-1]["password"] == PG_PASSWORD
    # a secret that is sent wins over the stored one
    await client.connectors.test(pg(password=NEW_PASSWORD), connector_id=connector.id)
    assert fake.connectors.tested[-1]["password"] == NEW_PASSWORD


async def test_update_patches_and_keeps_a_blank_password(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    connector = await client.connectors.create(pg("warehouse"))
    updated = await client.connectors.update(
        connector.id,
        pg("warehouse-2", password=None, host="db2.example.com"),
        allow_sql_write_operations=True,
    )
    assert updated == Connector(id=connector.id, name="warehouse-2", type="POSTGRES")
    request = fake.requests[-1]
    assert (request.method, request.path) == ("PATCH", f"/v2/connectors/{connector.id}")
    body = fake.connectors.bodies[-1].json
    assert body["allow_sql_write_operations"] is True
    assert "include_db_session_metadata" not in body
    assert "password" not in body["config"]["postgres"]
    stored = fake.connectors.get(connector.id)
    assert stored is not None
    assert stored.metadata["password"] == PG_PASSWORD
    assert stored.metadata["host"] == "db2.example.com"
    assert stored.allow_sql_write_operations is True
    await client.connectors.update(connector.id, pg("warehouse-2", password=""))
    assert stored.metadata["password"] == PG_PASSWORD  # "" is blank too
    await client.connectors.update(connector.id, pg("warehouse-2", password=NEW_PASSWORD))
    assert stored.metadata["password"] == NEW_PASSWORD
    assert [c.name for c in await client.connectors.list()] == ["warehouse-2"]


async def test_delete_removes_the_connector(fake: FakeTextQL, client: AsyncTextQL) -> None:
    keep = await client.connectors.create(pg("keep"))
    gone = await client.connectors.create(pg("gone"))
    result = await client.connectors.delete(gone.id)
    assert result.id == gone.id and result.success is True
    assert (fake.requests[-1].method, fake.requests[-1].path) == (
        "DELETE",
        f"/v2/connectors/{gone.id}",
    )
    assert await client.connectors.list() == [keep]
    with pytest.raises(NotFoundError):
        await client.connectors.access(gone.id)
    with pytest.raises(NotFoundError):
        await client.connectors.delete(gone.id)


async def test_set_access_replaces_grants_atomically(fake: FakeTextQL, client: AsyncTextQL) -> None:
    connector = await client.connectors.create(pg())
    first = await client.connectors.set_access(
        connector.id,
        is_public=False,
        grants=[
            ConnectorAccessGrant.for_member(MEMBER, "editor"),
            ConnectorAccessGrant.for_role(ROLE),
        ],
    )
    assert fake.requests[-1].method == "PUT"
    assert fake.connectors.bodies[-1].json == {
        "is_public": False,
        "grants": [
            {"access_type": "editor", "member_id": MEMBER},
            {"access_type": "viewer", "role_id": ROLE},
        ],
    }
    assert first.is_public is False
    assert [(g.member_id or g.role_id, g.access_type) for g in first.grants] == [
        (fake.member_id, "owner"),
        (MEMBER, "editor"),
        (ROLE, "viewer"),
    ]
    assert all(g.granted_by == fake.member_id for g in first.grants)
    # read-modify-write: grants read back are sent without their server-set fields
    kept = [g for g in first.grants if g.role_id is None]
    second = await client.connectors.set_access(connector.id, is_public=True, grants=kept)
    sent = fake.connectors.bodies[-1].json["grants"]
    assert all("granted_by" not in g for g in sent)
    assert second.is_public is True
    assert [g.role_id for g in second.grants] == [None, None]  # the role grant was revoked
    assert await client.connectors.access(connector.id) == second
    # the caller's owner grant survives even when omitted
    third = await client.connectors.set_access(connector.id, is_public=False)
    assert [(g.member_id, g.access_type) for g in third.grants] == [(fake.member_id, "owner")]


async def test_extra_metadata_goes_on_the_wire_for_other_types(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    from textql_async import BadRequestError

    config = ConnectorConfig(
        connector_type="BIGQUERY",
        name="bq",
        auth_strategy="service_role",
        extra_metadata={"bigquery": {"project_id": "p1", "service_account_json": "sa-Secret-99"}},
    )
    with pytest.raises(BadRequestError):  # the fake supports only the four typed connectors
        await client.connectors.create(config)
    assert fake.connectors.bodies[-1].json["config"] == {
        "connector_type": "BIGQUERY",
        "name": "bq",
        "auth_strategy": "service_role",
        "bigquery": {"project_id": "p1", "service_account_json": "sa-Secret-99"},
    }


async def test_methods_accept_a_per_call_timeout(fake: FakeTextQL, client: AsyncTextQL) -> None:
    connector = await client.connectors.create(pg(), timeout=5)
    assert (await client.connectors.list(timeout=5.0)) == [connector]
    assert len(await client.connectors.types(timeout=5)) == 4
    assert (await client.connectors.access(connector.id, timeout=5)).is_public is True
