"""Configs shared by the connectors tests; every secret is a distinctive string to search for."""

from __future__ import annotations

import msgspec

from textql_async.models.connectors import (
    ConnectorConfig,
    MySQLMetadata,
    PostgresMetadata,
    RedshiftMetadata,
    SnowflakeMetadata,
)

PG_PASSWORD = "pg-Secret-7f3a9"
NEW_PASSWORD = "pg-Rotated-41bd2"
SF_SECRETS = {
    "password": "sf-Password-11aa",
    "private_key": "-----BEGIN PRIVATE KEY-----sf-Key-22bb",
    "private_key_passphrase": "sf-Passphrase-33cc",
    "oauth_access_token": "sf-Access-44dd",
    "oauth_refresh_token": "sf-Refresh-55ee",
    "oauth_client_secret": "sf-ClientSecret-66ff",
}
ALL_SECRETS = (PG_PASSWORD, NEW_PASSWORD, *SF_SECRETS.values())


def pg(
    name: str = "warehouse",
    *,
    host: str = "db.example.com",
    password: str | None = PG_PASSWORD,
    **fields: object,
) -> ConnectorConfig:
    """A POSTGRES config."""
    meta = PostgresMetadata(host=host, user="analyst", database="sales", password=password)
    if fields:
        meta = msgspec.structs.replace(meta, **fields)
    return ConnectorConfig(connector_type="POSTGRES", name=name, postgres=meta)


def redshift(name: str = "rs") -> ConnectorConfig:
    """A REDSHIFT config."""
    meta = RedshiftMetadata(host="rs.example.com", database="dev", user="u", password=PG_PASSWORD)
    return ConnectorConfig(connector_type="REDSHIFT", name=name, redshift=meta)


def mysql(name: str = "my") -> ConnectorConfig:
    """A MYSQL config."""
    meta = MySQLMetadata(host="my.example.com", user="u", database="shop", password=PG_PASSWORD)
    return ConnectorConfig(connector_type="MYSQL", name=name, mysql=meta)


def snowflake(name: str = "sf", **overrides: str | None) -> ConnectorConfig:
    """A SNOWFLAKE config with every secret set (``overrides`` replace fields)."""
    fields: dict[str, str | None] = {
        "locator": "myorg-account123",
        "database": "ANALYTICS",
        "warehouse": "COMPUTE_WH",
        "username": "svc",
        "role": "REPORTER",
        "oauth_client_id": "client-id-visible",
        **SF_SECRETS,
        **overrides,
    }
    meta = SnowflakeMetadata(**fields)  # type: ignore[arg-type]
    return ConnectorConfig(connector_type="SNOWFLAKE", name=name, snowflake=meta)
