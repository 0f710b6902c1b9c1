"""Models of the v2 connectors API (``/v2/connectors*``).

Request structs (:class:`ConnectorConfig` and its metadata) carry write-only
secrets: their ``repr`` (and ``str``, and rich's pretty-printer) show ``'***'``
for every confidential field, so a config can be logged or printed safely.
Response structs are lenient: unknown fields are ignored and open enums
(connector ``type``, ``access_type``) are plain strings.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import msgspec

from textql_async.models._base import Result

__all__ = [
    "Connector",
    "ConnectorAccess",
    "ConnectorAccessGrant",
    "ConnectorConfig",
    "ConnectorTypeField",
    "ConnectorTypeInfo",
    "DeleteConnectorResult",
    "MySQLMetadata",
    "PostgresMetadata",
    "RedshiftMetadata",
    "SnowflakeMetadata",
    "TestConnectorResult",
]

_MASK = "'***'"


class _WriteOnly(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A request struct whose confidential fields never appear in a repr."""

    _confidential: ClassVar[frozenset[str]] = frozenset()

    def _shown(self) -> Iterator[tuple[str, str]]:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            masked = name in self._confidential and value is not None and value != ""
            yield name, _MASK if masked else repr(value)

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={shown}" for name, shown in self._shown())
        return f"{type(self).__name__}({fields})"

    def __rich_repr__(self) -> list[tuple[str, Any]]:
        """What ``rich`` prints: the same masked view as ``repr``."""
        return [(name, _Shown(shown)) for name, shown in self._shown()]


class _Shown:
    """A value rich prints verbatim (the already masked repr of a field)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


class PostgresMetadata(_WriteOnly, frozen=True, kw_only=True, omit_defaults=True):
    """Connection metadata for ``connector_type="POSTGRES"``; ``password`` is write-only.

    ``password`` is required on create; on update leave it ``None`` (or ``""``) to keep
    the stored one. ``port`` defaults to 5432 server-side.
    """

    _confidential: ClassVar[frozenset[str]] = frozenset({"password"})

    host: str
    user: str
    database: str
    password: str | None = None
    port: int | None = None
    schemas: list[str] | None = None
    ssl_mode: bool | None = None


class RedshiftMetadata(_WriteOnly, frozen=True, kw_only=True, omit_defaults=True):
    """Connection metadata for ``connector_type="REDSHIFT"``; ``password`` is write-only.

    ``auth_type`` is ``PASSWORD`` (the default) or ``IAM_ROLE``; ``port`` defaults to 5439.
    """

    _confidential: ClassVar[frozenset[str]] = frozenset({"password"})

    host: str
    database: str
    user: str | None = None
    password: str | None = None
    port: int | None = None
    schemas: list[str] | None = None
    auth_type: str | None = None


class MySQLMetadata(_WriteOnly, frozen=True, kw_only=True, omit_defaults=True):
    """Connection metadata for ``connector_type="MYSQL"``; ``password`` is write-only."""

    _confidential: ClassVar[frozenset[str]] = frozenset({"password"})

    host: str
    user: str
    database: str
    password: str | None = None
    port: int | None = None


class SnowflakeMetadata(_WriteOnly, frozen=True, kw_only=True, omit_defaults=True):
    """Connection metadata for ``connector_type="SNOWFLAKE"``.

    Authenticate with ``username`` + ``password`` or ``username`` + ``private_key``
    (PEM PKCS#8, plus ``private_key_passphrase`` if encrypted). Passwords, keys,
    tokens and the OAuth client secret are write-only.
    """

    _confidential: ClassVar[frozenset[str]] = frozenset(
        {
            "password",
            "private_key",
            "private_key_passphrase",
            "oauth_access_token",
            "oauth_refresh_token",
            "oauth_client_secret",
        }
    )

    locator: str
    database: str
    warehouse: str
    username: str | None = None
    password: str | None = None
    private_key: str | None = None
    private_key_passphrase: str | None = None
    role: str | None = None
    schema: str | None = None
    oauth_access_token: str | None = None
    oauth_refresh_token: str | None = None
    oauth_client_id: str | None = None
    oauth_client_secret: str | None = None
    enable_sso_auth: bool | None = None
    token_exchange_endpoint: str | None = None
    token_exchange_audience: str | None = None
    token_exchange_scope: str | None = None


class ConnectorConfig(_WriteOnly, frozen=True, kw_only=True, omit_defaults=True):
    """A connector's type, name and the one metadata object matching its type.

    ``connector_type`` is an open enum (``POSTGRES``, ``REDSHIFT``, ``MYSQL``,
    ``SNOWFLAKE``, ``BIGQUERY``, ...). Types without a struct here go in
    ``extra_metadata`` keyed by their ``config_key`` (see ``client.connectors.types()``),
    e.g. ``{"bigquery": {...}}``; its values are masked in the repr as a whole because
    this SDK cannot know which of their fields are secret.

    ``ConnectorConfig(connector_type="POSTGRES", name="warehouse", postgres=PostgresMetadata(...))``
    """

    connector_type: str
    name: str
    auth_strategy: str | None = None
    postgres: PostgresMetadata | None = None
    redshift: RedshiftMetadata | None = None
    mysql: MySQLMetadata | None = None
    snowflake: SnowflakeMetadata | None = None
    extra_metadata: Mapping[str, Mapping[str, Any]] | None = None

    def _shown(self) -> Iterator[tuple[str, str]]:
        for name, shown in super()._shown():
            if name == "extra_metadata" and self.extra_metadata is not None:
                shown = "{" + ", ".join(f"{k!r}: {_MASK}" for k in self.extra_metadata) + "}"
            yield name, shown


#: the typed metadata field of each connector type this SDK models
TYPED_METADATA: dict[str, tuple[str, type[_WriteOnly]]] = {
    "POSTGRES": ("postgres", PostgresMetadata),
    "REDSHIFT": ("redshift", RedshiftMetadata),
    "MYSQL": ("mysql", MySQLMetadata),
    "SNOWFLAKE": ("snowflake", SnowflakeMetadata),
}


class Connector(Result, frozen=True):
    """A data connector: ``type`` is an open enum string (``POSTGRES``, ``KDB``, ...)."""

    id: int
    name: str | None = None
    type: str | None = None


class ConnectorTypeField(msgspec.Struct, frozen=True):
    """One config field of a connector type.

    ``confidential`` fields are write-only; ``optional_on_update`` ones may be left out
    of an update to keep the stored value. ``type`` is string, number, boolean, array or object.
    """

    name: str | None = None
    type: str | None = None
    confidential: bool = False
    optional_on_update: bool = False


class ConnectorTypeInfo(Result, frozen=True):
    """A supported connector type: set ``connector_type`` and nest the metadata under ``config_key``."""

    connector_type: str | None = None
    config_key: str | None = None
    fields: list[ConnectorTypeField] = msgspec.field(default_factory=list)

    @property
    def confidential_fields(self) -> list[str]:
        """Names of the write-only fields (passwords, keys, tokens) of this type."""
        return [f.name for f in self.fields if f.confidential and f.name]


class ConnectorAccessGrant(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One grant on a connector: exactly one of ``member_id``, ``role_id``, ``group_id``.

    ``access_type`` is ``owner``, ``editor`` or ``viewer``. ``granted_by`` and
    ``expires_at`` are set by the server and never sent back.
    """

    access_type: str
    member_id: str | None = None
    role_id: str | None = None
    group_id: str | None = None
    granted_by: str | None = None
    expires_at: _dt.datetime | None = None

    @classmethod
    def for_member(cls, member_id: str, access_type: str = "viewer") -> ConnectorAccessGrant:
        """A grant to one member (ids from ``GET /v2/members``)."""
        return cls(access_type=access_type, member_id=member_id)

    @classmethod
    def for_role(cls, role_id: str, access_type: str = "viewer") -> ConnectorAccessGrant:
        """A grant to every member holding a role (ids from ``GET /v2/roles``)."""
        return cls(access_type=access_type, role_id=role_id)

    @classmethod
    def for_group(cls, group_id: str, access_type: str = "viewer") -> ConnectorAccessGrant:
        """A grant to a group."""
        return cls(access_type=access_type, group_id=group_id)


class ConnectorAccess(Result, frozen=True):
    """Who may use a connector: org-wide when ``is_public``, plus the explicit grants."""

    is_public: bool = False
    grants: list[ConnectorAccessGrant] = msgspec.field(default_factory=list)


class TestConnectorResult(Result, frozen=True):
    """The outcome of a connection test: a failure is ``success=False`` with ``error``, not an exception."""

    __test__ = False  # not a pytest test class, even when imported into a test module

    success: bool = False
    error: str | None = None


class DeleteConnectorResult(Result, frozen=True):
    """The answer of a delete: the connector's ``id`` and whether it was removed."""

    id: int | None = None
    success: bool = False


class _ConnectorTypes(msgspec.Struct):
    types: list[ConnectorTypeInfo]


connector_decoder = msgspec.json.Decoder(Connector)
connector_list_decoder = msgspec.json.Decoder(list[Connector])
types_decoder = msgspec.json.Decoder(_ConnectorTypes)
connection_test_decoder = msgspec.json.Decoder(TestConnectorResult)
delete_result_decoder = msgspec.json.Decoder(DeleteConnectorResult)
access_decoder = msgspec.json.Decoder(ConnectorAccess)
