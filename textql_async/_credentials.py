"""Credentials on the wire: the ``Authorization`` value, proxy credentials, log redaction.

Each credential is built here, in a short frame, as a redacted string (``repr`` is
``'***'``), so no traceback rendered with its locals shows a key, its Basic encoding or a
proxy password (see ``_redacted``). The transport is the only caller.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from yarl import URL

from textql_async._redacted import redacted

if TYPE_CHECKING:
    import aiohttp

    from textql_async._config import Settings

__all__ = ["AuthScheme", "authorization", "is_loopback", "redact_headers", "split_proxy"]

AuthScheme = Literal["ana", "bearer", "partner", "none"]

_REDACTED = {"authorization", "x-api-key", "cookie", "proxy-authorization"}


def authorization(settings: Settings, auth: AuthScheme) -> str:
    """The ``Authorization`` value; the raw key and the token live only in this short frame."""
    if auth == "ana" and settings.member_id:
        pair = f"{settings.member_id}:{settings.api_key}".encode()
        return redacted("Basic " + base64.b64encode(pair).decode("ascii"))
    return redacted("Bearer " + settings.api_key)


def split_proxy(
    proxy: str | URL | None, auth: aiohttp.BasicAuth | None
) -> tuple[str | None, str | None]:
    """The proxy URL without its ``user:password@``, and those as a ``Proxy-Authorization`` value.

    The value is a RedactedStr and the URL carries no password, so no frame (ours or
    aiohttp's) shows the proxy's credentials in its locals.
    """
    if proxy is None:
        return None, None
    url = URL(str(proxy))
    authorization = auth.encode() if auth is not None else None  # from ~/.netrc
    if url.user is not None:
        pair = f"{url.user}:{url.password or ''}".encode("latin-1")
        authorization = "Basic " + base64.b64encode(pair).decode("ascii")
        url = url.with_user(None)
    return str(url), redacted(authorization) if authorization is not None else None


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` safe to log."""
    return {k: ("<redacted>" if k.lower() in _REDACTED else v) for k, v in headers.items()}


def is_loopback(url: str) -> bool:
    host = url.split("://", 1)[1].split("/", 1)[0]
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    else:
        host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
