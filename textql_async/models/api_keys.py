"""Models of the v2 API keys API (``/v2/api-keys*``).

The bearer secret of a minted or rotated key is returned once and cannot be read
again, so it is wrapped in a :class:`Secret`: its ``repr`` and ``str`` are ``'***'``
(a ``print``, a log record, a traceback or an f-string never shows it) and
:meth:`Secret.reveal` is the one explicit way to read it. Response structs are
lenient: unknown fields are ignored and ``status`` is an open enum string.
"""

from __future__ import annotations

import datetime as _dt
import hmac
from typing import Literal, NoReturn

import msgspec

from textql_async.models._base import Result

__all__ = [
    "ApiKey",
    "ApiKeyPage",
    "ApiKeyScope",
    "MintedApiKey",
    "RevokedApiKey",
    "RotatedApiKey",
    "Secret",
]

ApiKeyScope = Literal["personal", "all", "service_accounts"]
"""Which keys ``list`` returns: the caller's own, the whole org's, or service accounts' keys."""


class Secret:
    """A credential that never prints: ``repr``/``str`` are ``'***'``; :meth:`reveal` returns it.

    It cannot be pickled or JSON-encoded either, so it does not end up in a cache or a
    log payload by accident: call :meth:`reveal` exactly where the value is needed.

    ``headers = {"Authorization": f"Bearer {minted.key.reveal()}"}``
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"a Secret wraps a str, got {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        """The secret itself: send it where it belongs, never to a log or a browser you do not trust."""
        return self._value

    def __repr__(self) -> str:
        return "'***'"

    def __str__(self) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __copy__(self) -> Secret:
        return self  # immutable: copies of structs holding it keep working

    def __deepcopy__(self, memo: dict[int, object]) -> Secret:
        return self

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled: store secret.reveal() deliberately")


class ApiKey(Result, frozen=True):
    """A platform API key as the service describes it: never its secret.

    ``id`` is what :meth:`~textql_async.resources.api_keys.ApiKeysResource.rotate` and
    ``revoke`` take. ``status`` is ``active``, ``expired``, ``revoked`` or ``unspecified``
    (an open enum); ``expires_at`` is ``None`` for a key that never expires. ``client_id``
    is the stored client metadata, usually a JSON object string (see :attr:`client_attributes`).
    """

    id: str | None = None
    member_id: str | None = None
    name: str | None = None
    client_id: str | None = None
    assumed_roles: list[str] = msgspec.field(default_factory=list)
    status: str | None = None
    created_at: _dt.datetime | None = None
    expires_at: _dt.datetime | None = None

    @property
    def client_attributes(self) -> dict[str, object] | None:
        """``client_id`` parsed as the JSON object row-level security reads, else ``None``."""
        if not self.client_id:
            return None
        try:
            value = msgspec.json.decode(self.client_id)
        except msgspec.DecodeError:
            return None
        return value if isinstance(value, dict) else None


class ApiKeyPage(Result, frozen=True):
    """One page of keys; pass ``next_page_token`` back as ``page_token`` (``None`` on the last page)."""

    api_keys: list[ApiKey] = msgspec.field(default_factory=list)
    next_page_token: str | None = None


class MintedApiKey(Result, frozen=True):
    """A new key: ``key`` is its bearer secret (shown once, a :class:`Secret`), ``api_key`` its record.

    ``embed = client.api_keys.embed_url(minted.key)``
    """

    key: Secret
    api_key: ApiKey

    @property
    def id(self) -> str | None:
        """The key id (for ``rotate`` / ``revoke``), not the secret."""
        return self.api_key.id


class RotatedApiKey(Result, frozen=True):
    """The replacement of a rotated key (same name, roles and client metadata, a new secret).

    ``revoked_api_key_id`` is the id of the key the rotation revoked.
    """

    key: Secret
    api_key: ApiKey
    revoked_api_key_id: str | None = None

    @property
    def id(self) -> str | None:
        """The replacement key's id (for the next ``rotate`` / ``revoke``)."""
        return self.api_key.id


class RevokedApiKey(Result, frozen=True):
    """The answer of a revoke: the key's ``id`` and whether it was revoked."""

    id: str | None = None
    success: bool = False


class _WireMinted(msgspec.Struct, frozen=True):
    """``CreateApiKeyResponse`` / ``RotateApiKeyResponse`` as sent: the secret in plain text."""

    key: str
    api_key: ApiKey = msgspec.field(default_factory=ApiKey)
    revoked_api_key_id: str | None = None


page_decoder = msgspec.json.Decoder(ApiKeyPage)
minted_decoder = msgspec.json.Decoder(_WireMinted)
revoked_decoder = msgspec.json.Decoder(RevokedApiKey)


def minted(body: bytes) -> MintedApiKey:
    """Decode a create response, wrapping the secret at once."""
    wire = minted_decoder.decode(body)
    return MintedApiKey(key=Secret(wire.key), api_key=wire.api_key)


def rotated(body: bytes) -> RotatedApiKey:
    """Decode a rotate response, wrapping the secret at once."""
    wire = minted_decoder.decode(body)
    return RotatedApiKey(
        key=Secret(wire.key), api_key=wire.api_key, revoked_api_key_id=wire.revoked_api_key_id
    )
