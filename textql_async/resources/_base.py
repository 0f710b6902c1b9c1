"""Shared helpers of the resource classes: argument checks and response decoding."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import msgspec

from textql_async._exceptions import APIError
from textql_async._transport import Response

__all__ = ["decode_response", "require_text"]

T = TypeVar("T")


def decode_response(response: Response, decode: Callable[[bytes], T]) -> T:
    """Decode a successful body; a body that is not the documented JSON is an :class:`APIError`."""
    try:
        return decode(response.body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        snippet = response.body[:200].decode("utf-8", "replace")
        raise APIError(
            f"unexpected response body (HTTP {response.status}): {exc}",
            status=response.status,
            body=snippet,
            request_id=response.headers.get("x-request-id"),
        ) from None


def require_text(name: str, value: object) -> str:
    """A non-empty string argument, or a ``ValueError`` before any request is sent."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must not be empty")
    return value
