"""Client configuration: timeouts, retry policy, credentials from arguments or the environment."""

from __future__ import annotations

import dataclasses
import os
import random
from collections.abc import Mapping

from textql_async._exceptions import ConfigurationError
from textql_async._redacted import redacted

__all__ = [
    "DEFAULT_BASE_URL",
    "RetryPolicy",
    "Settings",
    "Timeout",
    "check_proxy",
    "resolve_settings",
]

DEFAULT_BASE_URL = "https://app.textql.com"
ENV_API_KEY = "TEXTQL_API_KEY"
ENV_MEMBER_ID = "TEXTQL_MEMBER_ID"
ENV_BASE_URL = "TEXTQL_BASE_URL"
ENV_PARTNER_API_KEY = "TEXTQL_PARTNER_API_KEY"
ENV_PARTNER_BASE_URL = "TEXTQL_PARTNER_BASE_URL"
DEFAULT_PARTNER_BASE_URL = "https://api.breadcrumb.ai/v1"


@dataclasses.dataclass(frozen=True)
class Timeout:
    """How long to wait, in seconds (``None``: no limit).

    Every ``timeout=`` argument also takes a plain number: it bounds the whole call
    (``timeout=0.5`` is ``Timeout(total=0.5)``).

    - ``connect``: establishing a connection (including the TLS handshake);
    - ``read``: the longest silence while reading an ordinary (non-stream) response;
    - ``idle``: the longest silence between two events of a stream. Ana can think
      for a while, so the default is generous; keep-alive comments do not reset it;
    - ``total``: a bound on a whole call, retries and streaming included.
    """

    connect: float | None = 10.0
    read: float | None = 120.0
    idle: float | None = 300.0
    total: float | None = None

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is not None and value <= 0:
                raise ValueError(f"Timeout.{field.name} must be positive or None, got {value!r}")


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: attempt ``n`` waits ``uniform(0, min(cap, base * 2**n))``."""

    max_retries: int = 2
    base: float = 0.5
    cap: float = 8.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        ceiling = min(self.cap, self.base * (2**attempt))
        return (rng or random).uniform(0, ceiling)


@dataclasses.dataclass(frozen=True)
class Settings:
    """Resolved client settings. ``repr`` never shows the API key."""

    api_key: str = dataclasses.field(repr=False)
    member_id: str | None
    base_url: str
    timeout: Timeout
    retry: RetryPolicy
    partner_api_key: str = dataclasses.field(default="", repr=False)
    partner_base_url: str = DEFAULT_PARTNER_BASE_URL

    def __repr__(self) -> str:
        return (
            f"Settings(base_url={self.base_url!r}, member_id={self.member_id!r}, "
            f"api_key='***', partner_base_url={self.partner_base_url!r}, "
            f"timeout={self.timeout!r}, retry={self.retry!r})"
        )


def resolve_settings(
    api_key: str | None,
    member_id: str | None,
    base_url: str | None,
    timeout: Timeout | float | None,
    max_retries: int,
    env: Mapping[str, str] | None = None,
    *,
    retry_policy: RetryPolicy | None = None,
    partner_api_key: str | None = None,
    partner_base_url: str | None = None,
) -> Settings:
    """Merge arguments with ``TEXTQL_*`` environment variables; arguments win."""
    environ = os.environ if env is None else env
    # held as RedactedStr from here on: no frame (this one included) shows a key in its locals
    api_key, partner_api_key = _redacted_or_none(api_key), _redacted_or_none(partner_api_key)
    key = api_key if api_key is not None else _redacted_or_none(environ.get(ENV_API_KEY))
    if not key:
        raise ConfigurationError(
            f"no API key: pass api_key=... or set {ENV_API_KEY} (and {ENV_MEMBER_ID} for /api/ana)"
        )
    member = member_id if member_id is not None else environ.get(ENV_MEMBER_ID) or None
    url = _url("base_url", base_url or environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL)
    partner_url = _url(
        "partner_base_url",
        partner_base_url or environ.get(ENV_PARTNER_BASE_URL) or DEFAULT_PARTNER_BASE_URL,
    )
    partner_key = redacted(partner_api_key or environ.get(ENV_PARTNER_API_KEY) or key)
    return Settings(
        api_key=key,
        member_id=member,
        base_url=url,
        timeout=as_timeout(timeout),
        retry=retry_policy if retry_policy is not None else RetryPolicy(max_retries=max_retries),
        partner_api_key=partner_key,
        partner_base_url=partner_url,
    )


def check_proxy(proxy: str | None) -> str | None:
    """A proxy URL (``http://`` or ``https://``), held so that no repr shows its password."""
    if proxy is None:
        return None
    if not isinstance(proxy, str) or not proxy.startswith(("http://", "https://")):
        shown = proxy.split("@")[-1] if isinstance(proxy, str) else type(proxy).__name__
        raise ConfigurationError(f"proxy must be an http:// or https:// URL, got {shown!r}")
    return redacted(proxy)


def _redacted_or_none(value: str | None) -> str | None:
    return redacted(value) if isinstance(value, str) else value


def _url(name: str, value: str) -> str:
    url = value.rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"{name} must start with http:// or https://, got {url!r}")
    return url


def as_timeout(value: Timeout | float | None) -> Timeout:
    """Accept a :class:`Timeout`, a number, or ``None`` (the defaults).

    A number bounds the whole call, as ``timeout=`` does in openai-python and
    stripe-python: ``timeout=0.5`` is ``Timeout(total=0.5)`` (retries, backoff, the
    stream and the recovery of an ``ask()`` included), with the default ``connect``,
    ``read`` and ``idle`` limits still applying inside it.
    """
    if value is None:
        return Timeout()
    if isinstance(value, Timeout):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"timeout must be a Timeout, a number of seconds or None, not {value!r}")
    return Timeout(total=float(value))
