"""Bad arguments fail before any request; server errors map to typed errors with code/message."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from _connectors_kit import PG_PASSWORD, mysql, pg

from textql_async import (
    APIError,
    AsyncTextQL,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
)
from textql_async.models.connectors import (
    ConnectorAccess,
    ConnectorAccessGrant,
    ConnectorConfig,
    MySQLMetadata,
    PostgresMetadata,
)
from textql_async.testing import FakeTextQL, HTTPError, error_body

Call = Callable[[AsyncTextQL], Awaitable[object]]

BAD_IDS: list[tuple[Any, type[Exception]]] = [
    (0, ValueError),
    (-3, ValueError),
    (2**31, ValueError),
    (True, TypeError),
    ("7", TypeError),
    (7.0, TypeError),
    (None, TypeError),
]


def _id_calls(bad: Any) -> list[Call]:
    return [
        lambda c: c.connectors.update(bad, pg()),
        lambda c: c.connectors.delete(bad),
        lambda c: c.connectors.access(bad),
        lambda c: c.connectors.set_access(bad, is_public=True),
    ]


@pytest.mark.parametrize(("bad", "error"), BAD_IDS)
async def test_connector_ids_are_checked_before_any_request(
    fake: FakeTextQL, client: AsyncTextQL, bad: Any, error: type[Exception]
) -> None:
    for call in _id_calls(bad):
        with pytest.raises(error, match="connector_id"):
            await call(client)
    if bad is not None:  # None means "no connector" for test()
        with pytest.raises(error, match="connector_id"):
            await client.connectors.test(pg(), connector_id=bad)
    assert fake.requests == []


def _pg_meta() -> PostgresMetadata:
    return PostgresMetadata(host="h", user="u", database="d", password=PG_PASSWORD)


BAD_CONFIGS: list[tuple[Any, type[Exception], str]] = [
    ({"connector_type": "POSTGRES", "name": "x"}, TypeError, "ConnectorConfig"),
    (ConnectorConfig(connector_type="POSTGRES", name=" ", postgres=_pg_meta()), ValueError, "name"),
    (
        ConnectorConfig(connector_type="", name="x", postgres=_pg_meta()),
        ValueError,
        "connector_type",
    ),
    (ConnectorConfig(connector_type="POSTGRES", name="x"), ValueError, "postgres="),
    (
        ConnectorConfig(
            connector_type="POSTGRES",
            name="x",
            postgres=_pg_meta(),
            mysql=MySQLMetadata(host="h", user="u", database="d"),
        ),
        ValueError,
        "exactly its own metadata",
    ),
    (
        ConnectorConfig(connector_type="postgres", name="x", postgres=_pg_meta()),
        ValueError,
        "upper-case",
    ),
    (
        ConnectorConfig(
            connector_type="POSTGRES",
            name="x",
            postgres=MySQLMetadata(host="h", user="u", database="d"),
        ),  # type: ignore[arg-type]
        TypeError,
        "PostgresMetadata",
    ),
    (
        ConnectorConfig(connector_type="KDB", name="x", extra_metadata={"postgres": {"host": "h"}}),
        ValueError,
        "typed field",
    ),
    (
        ConnectorConfig(connector_type="KDB", name="x", extra_metadata={"kdb": "host=h"}),  # type: ignore[dict-item]
        TypeError,
        "mapping",
    ),
]


@pytest.mark.parametrize(("config", "error", "match"), BAD_CONFIGS)
async def test_bad_configs_fail_before_any_request(
    fake: FakeTextQL, client: AsyncTextQL, config: Any, error: type[Exception], match: str
) -> None:
    calls: list[Call] = [
        lambda c: c.connectors.create(config),
        lambda c: c.connectors.test(config),
        lambda c: c.connectors.update(1, config),
    ]
    for call in calls:
        with pytest.raises(error, match=match):
            await call(client)
    assert fake.requests == []


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda c: c.connectors.create(pg(), access={"is_public": True}),
            TypeError,
            "ConnectorAccess",
        ),
        (
            lambda c: c.connectors.create(
                pg(), access=ConnectorAccess(grants=[ConnectorAccessGrant(access_type="viewer")])
            ),
            ValueError,
            "exactly one",
        ),
        (
            lambda c: c.connectors.set_access(
                1,
                is_public=True,
                grants=[ConnectorAccessGrant(access_type="viewer", member_id="m", role_id="r")],
            ),
            ValueError,
            "exactly one",
        ),
        (
            lambda c: c.connectors.set_access(
                1, is_public=True, grants=[ConnectorAccessGrant.for_role("r", "")]
            ),
            ValueError,
            "access_type",
        ),
        (lambda c: c.connectors.set_access(1, is_public="yes"), TypeError, "is_public"),
        (
            lambda c: c.connectors.set_access(1, is_public=True, grants=[{"role_id": "r"}]),
            TypeError,
            "grants",
        ),
        (
            lambda c: c.connectors.update(1, pg(), allow_sql_write_operations=1),
            TypeError,
            "allow_sql",
        ),
    ],
)
async def test_bad_access_and_flags_fail_before_any_request(
    fake: FakeTextQL, client: AsyncTextQL, call: Call, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        await call(client)
    assert fake.requests == []


async def test_missing_required_field_is_bad_request_with_code(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    with pytest.raises(BadRequestError) as caught:
        await client.connectors.create(pg(password=None))
    assert caught.value.status == 400
    assert caught.value.code == "invalid_request"
    assert "postgres.password is required" in caught.value.message
    with pytest.raises(BadRequestError, match=r"postgres\.host is required"):
        await client.connectors.create(pg(host=""))
    with pytest.raises(BadRequestError, match=r"postgres\.password is required"):
        await client.connectors.test(pg(password=""))  # no connector_id: nothing to fill from
    assert fake.connectors.store == {}


async def test_duplicate_name_is_a_conflict_and_not_retried(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    await client.connectors.create(pg("warehouse"))
    async with fake.client(max_retries=3) as retrying:
        with pytest.raises(ConflictError) as caught:
            await retrying.connectors.create(pg("warehouse"))
    assert caught.value.status == 409 and caught.value.code == "conflict"
    assert "warehouse" in caught.value.message and "already exists" in caught.value.message
    assert [r.method for r in fake.requests] == ["POST", "POST"]
    assert len(fake.connectors.store) == 1


async def test_update_errors(fake: FakeTextQL, client: AsyncTextQL) -> None:
    first = await client.connectors.create(pg("first"))
    await client.connectors.create(pg("second"))
    with pytest.raises(NotFoundError) as caught:
        await client.connectors.update(999, pg())
    assert caught.value.code == "not_found" and "999" in caught.value.message
    with pytest.raises(BadRequestError, match="must match the stored connector's type"):
        await client.connectors.update(first.id, mysql("first"))
    with pytest.raises(BadRequestError, match="already exists"):
        await client.connectors.update(first.id, pg("second"))
    assert fake.connectors.get(first.id).name == "first"  # type: ignore[union-attr]


async def test_test_with_unknown_connector_id_is_not_found(client: AsyncTextQL) -> None:
    with pytest.raises(NotFoundError, match="connector 42 not found"):
        await client.connectors.test(pg(password=None), connector_id=42)


async def test_system_connectors_cannot_be_deleted(fake: FakeTextQL, client: AsyncTextQL) -> None:
    usage = fake.connectors.seed("TextQL Usage", "POSTGRES", system=True)
    with pytest.raises(BadRequestError, match="system connectors"):
        await client.connectors.delete(usage.id)
    assert [c.id for c in await client.connectors.list()] == [usage.id]


async def test_invalid_grant_leaves_access_unchanged(client: AsyncTextQL) -> None:
    connector = await client.connectors.create(pg())
    before = await client.connectors.access(connector.id)
    with pytest.raises(BadRequestError, match="access_type"):
        await client.connectors.set_access(
            connector.id,
            is_public=False,
            grants=[
                ConnectorAccessGrant.for_role("r1"),
                ConnectorAccessGrant.for_role("r2", "admin"),
            ],
        )
    assert await client.connectors.access(connector.id) == before


ALL_CALLS: list[Call] = [
    lambda c: c.connectors.list(),
    lambda c: c.connectors.create(pg()),
    lambda c: c.connectors.types(),
    lambda c: c.connectors.test(pg()),
    lambda c: c.connectors.update(1, pg()),
    lambda c: c.connectors.delete(1),
    lambda c: c.connectors.access(1),
    lambda c: c.connectors.set_access(1, is_public=True),
]


@pytest.mark.parametrize("call", ALL_CALLS)
async def test_wrong_key_is_an_authentication_error(fake: FakeTextQL, call: Call) -> None:
    async with fake.client(api_key="wrong-key", max_retries=0) as client:
        with pytest.raises(AuthenticationError) as caught:
            await call(client)
    assert caught.value.status == 401 and caught.value.code == "unauthenticated"
    assert caught.value.message.startswith("HTTP 401")
    assert fake.connectors.bodies == []  # rejected before any handler ran


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"X-API-Key": "test-key"},
        "basic",  # Basic member:key is for /api/ana only
    ],
)
async def test_only_bearer_auth_is_accepted(fake: FakeTextQL, headers: Any) -> None:
    if headers == "basic":
        headers = fake.auth_headers("basic")
    async with aiohttp.ClientSession() as session:
        async with session.get(fake.url + "/v2/connectors", headers=headers) as response:
            assert response.status == 401
            assert (await response.json())["error"]["code"] == "unauthenticated"
        async with session.get(
            fake.url + "/v2/connectors", headers=fake.auth_headers("bearer")
        ) as response:
            assert response.status == 200


async def test_permission_denied_maps_with_code(fake: FakeTextQL, client: AsyncTextQL) -> None:
    fake.inject(
        HTTPError(403, error_body("permission_denied", "Insufficient permissions")),
        path="/v2/connectors/1/access",
    )
    with pytest.raises(PermissionDeniedError) as caught:
        await client.connectors.set_access(1, is_public=True)
    assert caught.value.code == "permission_denied"
    assert "Insufficient permissions" in caught.value.message


async def test_a_body_that_is_not_the_documented_json_is_an_api_error(
    fake: FakeTextQL, client: AsyncTextQL
) -> None:
    fake.inject(
        HTTPError(200, b"<html>login</html>", content_type="text/html"), path="/v2/connectors"
    )
    with pytest.raises(APIError, match="unexpected response body"):
        await client.connectors.list()
    fake.inject(HTTPError(200, b'{"success": "maybe"}'), path="/v2/connectors/test")
    with pytest.raises(APIError, match="unexpected response body"):
        await client.connectors.test(pg())
