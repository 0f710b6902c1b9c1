"""``client.connectors``: the v2 data connectors API (``/v2/connectors*``).

Secrets in a :class:`ConnectorConfig` go on the wire and nowhere else: the
transport logs no bodies, the structs mask them in their repr, and every
argument is checked before a request so no half-built config is ever sent.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import msgspec

from textql_async._config import Timeout, as_timeout
from textql_async._exceptions import APIError
from textql_async._options import RequestOptions
from textql_async._transport import Transport
from textql_async.models.connectors import (
    TYPED_METADATA,
    Connector,
    ConnectorAccess,
    ConnectorAccessGrant,
    ConnectorConfig,
    ConnectorTypeInfo,
    DeleteConnectorResult,
    TestConnectorResult,
    access_decoder,
    connection_test_decoder,
    connector_decoder,
    connector_list_decoder,
    delete_result_decoder,
    types_decoder,
)
from textql_async.resources._base import Resource, decode_response, require_text

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["ConnectorsResource"]

_INT32_MAX = 2**31 - 1
_PRINCIPALS = ("member_id", "role_id", "group_id")
_RESERVED_KEYS = frozenset({"connector_type", "name", "auth_strategy"})


class ConnectorsResource(Resource, family="connectors"):
    """Data warehouse connectors: list, create, test, update, delete, access grants."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def list(
        self, *, timeout: Timeout | float | None = None, **options: Unpack[RequestOptions]
    ) -> builtins.list[Connector]:
        """Every connector of the organization (id, name, type; never any config or secret).

        ``names = [c.name for c in await client.connectors.list()]``
        """
        response = await self._transport.request(
            "GET", "/v2/connectors", timeout=_timeout(timeout), **options
        )
        return decode_response(response, connector_list_decoder.decode)

    async def create(
        self,
        config: ConnectorConfig,
        *,
        access: ConnectorAccess | None = None,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> Connector:
        """Create a connector (validated, not connected: call :meth:`test` first to check it).

        Without ``access`` the connector is visible org-wide; the creator always gets an
        owner grant. A duplicate name is a ``ConflictError``, a bad config a ``BadRequestError``.

        ``c = await client.connectors.create(ConnectorConfig(connector_type="POSTGRES", name="dw", postgres=pg))``
        """
        body: dict[str, Any] = {"config": _config_json(config)}
        if access is not None:
            if not isinstance(access, ConnectorAccess):
                raise TypeError(f"access must be a ConnectorAccess, got {type(access).__name__}")
            body["access"] = _access_json(access.is_public, access.grants)
        with _scrubbed(config):
            response = await self._transport.request(
                "POST",
                "/v2/connectors",
                json=body,
                timeout=_timeout(timeout),
                idempotent=False,
                **options,
            )
        return decode_response(response, connector_decoder.decode)

    async def types(
        self,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> builtins.list[ConnectorTypeInfo]:
        """The supported connector types and their config fields (which are secret, which optional on update).

        ``keys = {t.connector_type: t.config_key for t in await client.connectors.types()}``
        """
        response = await self._transport.request(
            "GET",
            "/v2/connectors/types",
            timeout=_timeout(timeout),
            **options,
        )
        return decode_response(response, types_decoder.decode).types

    async def test(
        self,
        config: ConnectorConfig,
        *,
        connector_id: int | None = None,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> TestConnectorResult:
        """Try to connect with ``config`` without saving it.

        An unreachable database is ``success=False`` with ``error`` (not an exception);
        HTTP errors still raise (an invalid config is a ``BadRequestError``). With
        ``connector_id``, secrets left blank are taken from that stored connector, so an
        edit can be tested before :meth:`update`.

        ``ok = (await client.connectors.test(config)).success``
        """
        body: dict[str, Any] = {"config": _config_json(config)}
        if connector_id is not None:
            body["connector_id"] = str(_connector_id(connector_id))  # a string in the spec
        with _scrubbed(config):
            response = await self._transport.request(
                "POST",
                "/v2/connectors/test",
                json=body,
                timeout=_timeout(timeout),
                idempotent=True,
                **options,
            )
        result = decode_response(response, connection_test_decoder.decode)
        if result.error:  # a driver message that quotes a secret must not reach a log
            scrubbed = _scrub(result.error, _secrets_of(config))
            if scrubbed != result.error:
                result = msgspec.structs.replace(result, error=scrubbed)
        return result

    async def update(
        self,
        connector_id: int,
        config: ConnectorConfig,
        *,
        allow_sql_write_operations: bool | None = None,
        include_db_session_metadata: bool | None = None,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> Connector:
        """Replace a connector's config (PATCH); secrets left ``None`` or blank keep the stored ones.

        ``connector_type`` must match the stored connector's type.

        ``await client.connectors.update(7, ConnectorConfig(connector_type="POSTGRES", name="dw", postgres=pg))``
        """
        path = f"/v2/connectors/{_connector_id(connector_id)}"
        body: dict[str, Any] = {"config": _config_json(config)}
        for name, flag in (
            ("allow_sql_write_operations", allow_sql_write_operations),
            ("include_db_session_metadata", include_db_session_metadata),
        ):
            if flag is not None:
                body[name] = _bool(name, flag)
        with _scrubbed(config):
            response = await self._transport.request(
                "PATCH",
                path,
                json=body,
                timeout=_timeout(timeout),
                **options,
            )
        return decode_response(response, connector_decoder.decode)

    async def delete(
        self,
        connector_id: int,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> DeleteConnectorResult:
        """Delete a connector (system connectors answer ``BadRequestError``).

        ``assert (await client.connectors.delete(7)).success``
        """
        path = f"/v2/connectors/{_connector_id(connector_id)}"
        response = await self._transport.request(
            "DELETE", path, timeout=_timeout(timeout), **options
        )
        return decode_response(response, delete_result_decoder.decode)

    async def access(
        self,
        connector_id: int,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> ConnectorAccess:
        """Who may use a connector: org-wide visibility and the member/role/group grants.

        ``grants = (await client.connectors.access(7)).grants``
        """
        path = f"/v2/connectors/{_connector_id(connector_id)}/access"
        response = await self._transport.request("GET", path, timeout=_timeout(timeout), **options)
        return decode_response(response, access_decoder.decode)

    async def set_access(
        self,
        connector_id: int,
        *,
        is_public: bool,
        grants: Sequence[ConnectorAccessGrant] = (),
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> ConnectorAccess:
        """Replace a connector's access atomically: grants not listed are revoked.

        The caller's own owner grant is always kept. Grants read from :meth:`access`
        can be sent back as they are.

        ``await client.connectors.set_access(7, is_public=False, grants=[ConnectorAccessGrant.for_role(role_id)])``
        """
        path = f"/v2/connectors/{_connector_id(connector_id)}/access"
        body = _access_json(is_public, grants)
        response = await self._transport.request(
            "PUT", path, json=body, timeout=_timeout(timeout), **options
        )
        return decode_response(response, access_decoder.decode)


def _config_json(config: ConnectorConfig) -> dict[str, Any]:
    """The wire form of a config: checked first, so a mismatched config is never sent."""
    if not isinstance(config, ConnectorConfig):
        raise TypeError(f"config must be a ConnectorConfig, got {type(config).__name__}")
    kind = require_text("config.connector_type", config.connector_type)
    require_text("config.name", config.name)
    if config.auth_strategy is not None:
        require_text("config.auth_strategy", config.auth_strategy)
    present = []
    for key, cls in TYPED_METADATA.values():
        value = getattr(config, key)
        if value is None:
            continue
        if not isinstance(value, cls):
            raise TypeError(f"config.{key} must be a {cls.__name__}, got {type(value).__name__}")
        present.append(key)
    expected = TYPED_METADATA.get(kind)
    if expected is not None and present != [expected[0]]:
        raise ValueError(
            f"connector_type {kind!r} needs exactly its own metadata, "
            f"{expected[0]}={expected[1].__name__}(...); got {present or 'none'}"
        )
    if expected is None and present:
        owners = [t for t, (k, _) in TYPED_METADATA.items() if k == present[0]]
        raise ValueError(
            f"{present[0]} metadata goes with connector_type {owners[0]!r}, not {kind!r} "
            "(types are upper-case enum names)"
        )
    body: dict[str, Any] = msgspec.to_builtins(config)
    extra = body.pop("extra_metadata", None) or {}
    if not isinstance(extra, dict):
        raise TypeError("config.extra_metadata must be a mapping of config_key -> metadata")
    for key, value in extra.items():
        if key in _RESERVED_KEYS or any(key == k for k, _ in TYPED_METADATA.values()):
            raise ValueError(f"config.extra_metadata cannot set {key!r}: use the typed field")
        if not isinstance(value, dict):
            raise TypeError(f"config.extra_metadata[{key!r}] must be a mapping")
        body[key] = value
    return body


def _secrets_of(config: ConnectorConfig) -> list[str]:
    """The confidential values of a config's typed metadata, longest first."""
    found: set[object] = set()
    for key, _ in TYPED_METADATA.values():
        meta = getattr(config, key)
        if meta is not None:
            found.update(getattr(meta, name) for name in meta._confidential)
    return sorted((s for s in found if isinstance(s, str) and len(s) >= 4), key=len, reverse=True)


def _scrub(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _scrub_value(value: object, secrets: Sequence[str]) -> object:
    if isinstance(value, str):
        return _scrub(value, secrets)
    if isinstance(value, dict):
        return {k: _scrub_value(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_value(v, secrets) for v in value]
    return value


@contextmanager
def _scrubbed(config: ConnectorConfig) -> Iterator[None]:
    """Mask the config's secrets in an error whose body echoes them (defence in depth)."""
    try:
        yield
    except APIError as exc:
        secrets = _secrets_of(config)
        if secrets:
            exc.message = _scrub(exc.message, secrets)
            exc.args = tuple(_scrub_value(a, secrets) for a in exc.args)
            exc.body = _scrub_value(exc.body, secrets)
        raise


def _access_json(is_public: bool, grants: Sequence[ConnectorAccessGrant]) -> dict[str, Any]:
    """The wire form of an access configuration; server-set grant fields are dropped."""
    wire = []
    for grant in grants:
        if not isinstance(grant, ConnectorAccessGrant):
            raise TypeError(f"grants must be ConnectorAccessGrant, got {type(grant).__name__}")
        require_text("access_type", grant.access_type)
        set_ids = [(p, getattr(grant, p)) for p in _PRINCIPALS if getattr(grant, p) is not None]
        if len(set_ids) != 1:
            raise ValueError("a grant needs exactly one of member_id, role_id or group_id")
        principal, value = set_ids[0]
        wire.append({"access_type": grant.access_type, principal: require_text(principal, value)})
    return {"is_public": _bool("is_public", is_public), "grants": wire}


def _connector_id(value: object) -> int:
    """A connector id: an int32 greater than zero, checked before any request."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"connector_id must be an int, got {type(value).__name__}")
    if not 0 < value <= _INT32_MAX:
        raise ValueError(f"connector_id must be between 1 and {_INT32_MAX}, got {value}")
    return value


def _bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return value


def _timeout(value: Timeout | float | None) -> Timeout | None:
    return as_timeout(value) if value is not None else None
