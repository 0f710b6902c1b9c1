"""``client.api_keys``: the v2 API keys API (``/v2/api-keys*``): mint, list, rotate, revoke.

Why it matters: a browser embed should get a short-lived, role-scoped key minted per
session, never the server's long-lived one. The minted secret is returned once; it is
wrapped in a :class:`~textql_async.models.api_keys.Secret` as soon as it is decoded, the
transport logs no bodies, and a body that fails to decode is never quoted in the error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, get_args
from urllib.parse import quote

import msgspec

from textql_async._config import Timeout, as_timeout
from textql_async._exceptions import APIError
from textql_async._options import RequestOptions
from textql_async._pagination import by_token, paginate
from textql_async._transport import Response, Transport
from textql_async.models.api_keys import (
    ApiKey,
    ApiKeyPage,
    ApiKeyScope,
    MintedApiKey,
    RevokedApiKey,
    RotatedApiKey,
    Secret,
    minted,
    page_decoder,
    revoked_decoder,
    rotated,
)
from textql_async.resources._base import Resource, decode_response, require_text

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["ApiKeysResource"]

_SCOPES: frozenset[str] = frozenset(get_args(ApiKeyScope))
_T = TypeVar("_T")


class ApiKeysResource(Resource, family="api_keys"):
    """Platform API keys: mint short-lived, role-scoped keys, list, rotate and revoke them."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def mint(
        self,
        *,
        assumed_roles: Sequence[str] | None = None,
        inherit_all_roles: bool = False,
        expiry_seconds: int | None = None,
        client_id: str | Mapping[str, Any] | None = None,
        target_member_id: str | None = None,
        full_member_access: bool | None = None,
        name: str | None = None,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> MintedApiKey:
        """Mint a key; its secret is in ``.key`` (a :class:`Secret`), returned this once only.

        Every key is role-scoped: pass ``assumed_roles`` (role ids, see ``client.roles``) or
        ``inherit_all_roles=True``, not both (``ValueError`` before any request). Give
        embeds an ``expiry_seconds`` and put the tenant / user in ``client_id``: a mapping is
        sent as the JSON object string row-level security reads
        (``_tql.client_attributes_json.<field>``). ``target_member_id`` mints for a
        service account. A mint is never re-sent once it reached the server.

        ``k = await client.api_keys.mint(assumed_roles=[role_id], expiry_seconds=900, client_id={"tenant_id": "acme"})``
        """
        body: dict[str, Any] = {}
        roles = _roles(assumed_roles)
        inherit = _bool("inherit_all_roles", inherit_all_roles)
        if roles and inherit:
            raise ValueError("pass assumed_roles or inherit_all_roles=True, not both")
        if not roles and not inherit:
            raise ValueError(
                "a key must be role-scoped: pass assumed_roles=[role ids] or inherit_all_roles=True"
            )
        if roles:
            body["assumedRoles"] = roles
        else:
            body["inheritAllRoles"] = True
        if expiry_seconds is not None:
            body["expirySeconds"] = _expiry(expiry_seconds)
        if client_id is not None:
            body["clientId"] = _client_id(client_id)
        if target_member_id is not None:
            body["targetMemberId"] = require_text("target_member_id", target_member_id)
        if full_member_access is not None:
            body["fullMemberAccess"] = _bool("full_member_access", full_member_access)
        if name is not None:
            body["name"] = require_text("name", name)
        response = await self._transport.request(
            "POST",
            "/v2/api-keys",
            json=body,
            timeout=_timeout(timeout),
            idempotent=False,
            **options,
        )
        return _decode_secret(response, minted)

    async def list(
        self,
        *,
        scope: ApiKeyScope | None = None,
        include_revoked: bool | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> ApiKeyPage:
        """One page of keys (never their secrets); ``next_page_token`` is ``None`` on the last.

        ``scope`` is ``personal``, ``all`` or ``service_accounts`` (default: the widest the
        caller may see); revoked keys are left out unless ``include_revoked``.

        ``page = await client.api_keys.list(scope="personal", page_size=50)``
        """
        if scope is not None and scope not in _SCOPES:
            raise ValueError(f"scope must be one of {sorted(_SCOPES)}, got {scope!r}")
        params = {
            "scope": scope,
            "include_revoked": None
            if include_revoked is None
            else _bool("include_revoked", include_revoked),
            "page_size": None if page_size is None else _positive("page_size", page_size),
            "page_token": None if page_token is None else require_text("page_token", page_token),
        }
        response = await self._transport.request(
            "GET",
            "/v2/api-keys",
            params=params,
            timeout=_timeout(timeout),
            **options,
        )
        return decode_response(response, page_decoder.decode)

    def iter(
        self,
        *,
        scope: ApiKeyScope | None = None,
        include_revoked: bool | None = None,
        page_size: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncIterator[ApiKey]:
        """Every key, fetching pages lazily (arguments are checked at once, before any request).

        ``async for key in client.api_keys.iter(scope="service_accounts"): ...``
        """
        if scope is not None and scope not in _SCOPES:
            raise ValueError(f"scope must be one of {sorted(_SCOPES)}, got {scope!r}")
        if include_revoked is not None:
            _bool("include_revoked", include_revoked)
        if page_size is not None:
            _positive("page_size", page_size)

        async def fetch(token: str | None) -> ApiKeyPage:
            return await self.list(
                scope=scope,
                include_revoked=include_revoked,
                page_size=page_size,
                page_token=token,
                **options,
            )

        return paginate(fetch, lambda p: p.api_keys, by_token(lambda p: p.next_page_token))

    async def rotate(
        self,
        key_id: str,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> RotatedApiKey:
        """Revoke a key and mint its replacement (same name, roles, client metadata; new secret).

        Takes the key id, not the secret. Never re-sent once it reached the server: a
        second rotation would revoke the replacement.

        ``new = await client.api_keys.rotate(old.id)``
        """
        path = f"/v2/api-keys/{_key_id(key_id)}/rotate"
        response = await self._transport.request(
            "POST",
            path,
            timeout=_timeout(timeout),
            idempotent=False,
            **options,
        )
        return _decode_secret(response, rotated)

    async def revoke(
        self,
        key_id: str,
        *,
        timeout: Timeout | float | None = None,
        **options: Unpack[RequestOptions],
    ) -> RevokedApiKey:
        """Revoke a key by id; an already revoked key is a ``BadRequestError``.

        Retried like any DELETE, so if a first attempt went through unseen the retry also
        answers ``BadRequestError``: either way the key is revoked.

        ``assert (await client.api_keys.revoke(k.id)).success``
        """
        path = f"/v2/api-keys/{_key_id(key_id)}"
        response = await self._transport.request(
            "DELETE", path, timeout=_timeout(timeout), **options
        )
        return decode_response(response, revoked_decoder.decode)

    def embed_url(self, key: Secret | str, *, app_url: str | None = None) -> str:
        """The iframe ``src`` that signs a browser in with a (short-lived) key; no request is made.

        ``app_url`` defaults to the client's base URL (``https://app.textql.com``). The URL
        carries the secret: hand it to that one browser session, do not log it.

        ``src = client.api_keys.embed_url((await client.api_keys.mint(assumed_roles=[r], expiry_seconds=900)).key)``
        """
        secret = key.reveal() if isinstance(key, Secret) else require_text("key", key)
        if not secret:
            raise ValueError("key must not be empty")
        base = (app_url if app_url is not None else self._transport.settings.base_url).rstrip("/")
        require_text("app_url", base)
        return f"{base}/embed?authKey={quote(secret, safe='')}"


def _decode_secret(response: Response, decode: Callable[[bytes], _T]) -> _T:
    """Like ``decode_response``, but the body (which holds a secret) is never quoted."""
    try:
        return decode(response.body)
    except (msgspec.DecodeError, msgspec.ValidationError, TypeError) as exc:
        raise APIError(
            f"unexpected response body (HTTP {response.status}): {exc}",
            status=response.status,
            body="<withheld: the body may hold an API key secret>",
            request_id=response.headers.get("x-request-id"),
        ) from None


def _roles(value: Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError("assumed_roles must be a list of role ids, not a single string")
    return [require_text("assumed_roles[]", role) for role in value]


def _client_id(value: str | Mapping[str, Any]) -> str:
    """A string is sent as is; a mapping becomes the JSON object string the service expects."""
    if isinstance(value, str):
        return require_text("client_id", value)
    if not isinstance(value, Mapping):
        raise TypeError(f"client_id must be a str or a mapping, got {type(value).__name__}")
    if not all(isinstance(k, str) for k in value):
        raise TypeError("client_id keys must be strings")
    try:
        return msgspec.json.encode(dict(value)).decode()
    except (TypeError, msgspec.EncodeError) as exc:
        raise TypeError(f"client_id must be JSON-serializable: {exc}") from None


def _expiry(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expiry_seconds must be an int, got {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"expiry_seconds must be positive, got {value}")
    return value


def _positive(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return value


def _bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return value


def _key_id(value: object) -> str:
    if isinstance(value, Secret):  # a secret in a URL path would reach the debug log
        raise TypeError("pass the key id (minted.id), not its secret")
    return quote(require_text("key_id", value), safe="")


def _timeout(value: Timeout | float | None) -> Timeout | None:
    return as_timeout(value) if value is not None else None
