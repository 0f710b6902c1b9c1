"""The fake's connector type catalogue and config validation (like the service's).

Kept apart from the routes: this is the part that decides what a valid config is,
which fields are secret, and how blank secrets are filled from a stored connector.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CATALOGUE",
    "CheckedConfig",
    "ConfigError",
    "FieldSpec",
    "TypeSpec",
    "check_config",
    "types_json",
]


@dataclass(frozen=True)
class FieldSpec:
    """One metadata field: JSON type, whether required, and whether write-only."""

    name: str
    type: str  # string, number, boolean, array
    required: bool = False
    confidential: bool = False

    @property
    def optional_on_update(self) -> bool:
        """Secrets may be left out of an update (or a test with ``connector_id``) to keep them."""
        return self.confidential


@dataclass(frozen=True)
class TypeSpec:
    """A connector type: its metadata key, fields and default port."""

    config_key: str
    fields: tuple[FieldSpec, ...]
    default_port: int | None = None

    def field(self, name: str) -> FieldSpec | None:
        """The field called ``name``, if this type has one."""
        return next((f for f in self.fields if f.name == name), None)


def _f(name: str, kind: str = "string", *, req: bool = False, secret: bool = False) -> FieldSpec:
    return FieldSpec(name, kind, req, secret)


CATALOGUE: dict[str, TypeSpec] = {
    "POSTGRES": TypeSpec(
        "postgres",
        (
            _f("host", req=True),
            _f("port", "number"),
            _f("user", req=True),
            _f("password", req=True, secret=True),
            _f("database", req=True),
            _f("schemas", "array"),
            _f("ssl_mode", "boolean"),
        ),
        5432,
    ),
    "REDSHIFT": TypeSpec(
        "redshift",
        (
            _f("host", req=True),
            _f("port", "number"),
            _f("user"),
            _f("password", secret=True),
            _f("database", req=True),
            _f("schemas", "array"),
            _f("auth_type"),
        ),
        5439,
    ),
    "MYSQL": TypeSpec(
        "mysql",
        (
            _f("host", req=True),
            _f("port", "number"),
            _f("user", req=True),
            _f("password", req=True, secret=True),
            _f("database", req=True),
        ),
        3306,
    ),
    "SNOWFLAKE": TypeSpec(
        "snowflake",
        (
            _f("locator", req=True),
            _f("username"),
            _f("password", secret=True),
            _f("private_key", secret=True),
            _f("private_key_passphrase", secret=True),
            _f("role"),
            _f("database", req=True),
            _f("schema"),
            _f("warehouse", req=True),
            _f("oauth_access_token", secret=True),
            _f("oauth_refresh_token", secret=True),
            _f("oauth_client_id"),
            _f("oauth_client_secret", secret=True),
            _f("enable_sso_auth", "boolean"),
            _f("token_exchange_endpoint"),
            _f("token_exchange_audience"),
            _f("token_exchange_scope"),
        ),
    ),
}


def types_json() -> dict[str, Any]:
    """The body of ``GET /v2/connectors/types``."""
    return {
        "types": [
            {
                "connector_type": kind,
                "config_key": spec.config_key,
                "fields": [
                    {
                        "name": f.name,
                        "type": f.type,
                        "confidential": f.confidential,
                        "optional_on_update": f.optional_on_update,
                    }
                    for f in spec.fields
                ],
            }
            for kind, spec in CATALOGUE.items()
        ]
    }


class ConfigError(Exception):
    """An invalid config; the message names fields, never their values."""


@dataclass(frozen=True)
class CheckedConfig:
    """A valid config: type, name, auth strategy and the complete metadata (secrets included)."""

    connector_type: str
    name: str
    auth_strategy: str | None
    metadata: dict[str, Any] = field(repr=False)


def check_config(config: object, stored_metadata: dict[str, Any] | None) -> CheckedConfig:
    """Validate a request's ``config``; blank secrets are filled from ``stored_metadata``.

    ``stored_metadata`` is the stored connector's metadata on update and on a test with
    ``connector_id``; ``None`` on create, where every required secret must be sent.
    """
    if not isinstance(config, dict):
        raise ConfigError("config is required and must be an object")
    kind = config.get("connector_type")
    name = config.get("name")
    if not isinstance(kind, str) or not kind:
        raise ConfigError("config.connector_type is required")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError("config.name is required")
    auth = config.get("auth_strategy")
    if auth is not None and not isinstance(auth, str):
        raise ConfigError("config.auth_strategy must be a string")
    spec = CATALOGUE.get(kind)
    if spec is None:
        raise ConfigError(f"unsupported connector_type {kind!r}; supported: {sorted(CATALOGUE)}")
    others = set(config) - {"connector_type", "name", "auth_strategy", spec.config_key}
    if others:
        raise ConfigError(
            f"config for {kind} must set only {spec.config_key}, not {sorted(others)}"
        )
    raw = config.get(spec.config_key)
    if not isinstance(raw, dict):
        raise ConfigError(f"config.{spec.config_key} is required for connector_type {kind}")
    metadata: dict[str, Any] = {}
    for key, value in raw.items():
        known = spec.field(key)
        if known is None:
            raise ConfigError(f"unknown field {spec.config_key}.{key}")
        if value is not None and not _has_type(value, known.type):
            raise ConfigError(f"{spec.config_key}.{key} must be of type {known.type}")
        metadata[key] = value
    for fs in spec.fields:
        blank = metadata.get(fs.name) in (None, "")
        if blank and fs.optional_on_update and stored_metadata:
            if stored_metadata.get(fs.name) not in (None, ""):
                metadata[fs.name] = stored_metadata[fs.name]
                continue
        if blank and fs.required:
            raise ConfigError(f"{spec.config_key}.{fs.name} is required")
    if spec.default_port is not None and metadata.get("port") is None:
        metadata["port"] = spec.default_port
    return CheckedConfig(kind, name, auth, {k: v for k, v in metadata.items() if v is not None})


def _has_type(value: object, kind: str) -> bool:
    if kind == "number":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, str)
