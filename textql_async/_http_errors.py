"""HTTP error responses -> the SDK's typed errors, and the retry rules of a status.

Error bodies come in several shapes: v2 ``{"error": {"code", "message"}}``, Connect-RPC
``{"code", "message", "details"}``, FastAPI ``{"detail": [...]}``, or an HTML page from a
proxy. Each becomes the :class:`~textql_async.APIError` subclass of its status (or of its
Connect code), with a readable one-line message.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Callable, Mapping

import msgspec

from textql_async._exceptions import (
    CONNECT_CODE_ERRORS,
    APIError,
    RateLimitError,
    error_class_for_status,
)

__all__ = ["api_error", "content_type_error", "has_content_type", "retry_after", "should_retry"]

_RETRY_STATUSES = frozenset({408, 409, 429})
_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")
_json = msgspec.json.Decoder()


def api_error(
    status: int, headers: Mapping[str, str], raw: bytes, redact: Callable[[str], str]
) -> APIError:
    """The typed error for an error status, from its body (JSON or not)."""
    body: object
    code: str | None = None
    message: str | None = None
    try:
        body = _json.decode(raw) if raw else None
    except msgspec.DecodeError:
        body = raw.decode("utf-8", "replace")
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            code = _str_or_none(err.get("code"))
            message = _str_or_none(err.get("message"))
        elif isinstance(err, str):
            message = err
        if message is None:
            message = _str_or_none(body.get("message"))
            code = code or _str_or_none(body.get("code"))
        if message is None and "detail" in body:
            message = _describe_detail(body["detail"])
    elif isinstance(body, str):
        message = _html_summary(body)
    reason = _REASONS.get(status, "error")
    text = f"HTTP {status} {reason}"
    if code:
        text += f" ({code})"
    if message:
        text += f": {redact(message)}"
    request_id = headers.get("x-request-id") or headers.get("request-id")
    cls = error_class_for_status(status)
    if isinstance(body, dict) and isinstance(body.get("code"), str) and "error" not in body:
        cls = CONNECT_CODE_ERRORS.get(body["code"], cls)  # a Connect-RPC error body
    if cls is RateLimitError:
        return RateLimitError(
            text, status=status, body=body, request_id=request_id, code=code,
            retry_after=retry_after(headers),
        )
    return cls(text, status=status, body=body, request_id=request_id, code=code)


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    409: "Conflict",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def should_retry(status: int, header: str | None) -> bool:
    if header is not None:
        flag = header.strip().lower()
        if flag in ("true", "false"):
            return flag == "true"
    return status in _RETRY_STATUSES or status >= 500


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms`` or ``Retry-After``), if any."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _describe_detail(detail: object) -> str:
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        parts = []
        for item in detail[:5]:
            if isinstance(item, dict):
                loc = ".".join(str(p) for p in item.get("loc", []) if p != "body")
                parts.append(f"{loc}: {item.get('msg', '')}" if loc else str(item.get("msg", "")))
        return "; ".join(parts)
    return str(detail)


def _html_summary(text: str) -> str | None:
    """A short, readable summary of an error page (its title, else its first words)."""
    match = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
    if match and match.group(1).strip():
        return _SPACES.sub(" ", match.group(1)).strip()[:200]
    stripped = _SPACES.sub(" ", _TAG.sub(" ", text)).strip()
    return stripped[:200] or None


def has_content_type(headers: Mapping[str, str], expected: str) -> bool:
    """Whether a response's body is ``expected`` (lower case, parameters ignored)."""
    content_type = headers.get("Content-Type", "")
    return content_type.split(";", 1)[0].strip().lower() == expected


def content_type_error(expected: str, error: APIError, headers: Mapping[str, str]) -> APIError:
    """The error for a success whose body is not ``expected``; ``error`` is its body read as one."""
    shown = headers.get("Content-Type", "") or "no content type"
    detail = error.message.split(": ", 1)[1] if ": " in error.message else ""
    return APIError(
        f"expected {expected} but the server sent HTTP {error.status} with {shown}"
        + (f": {detail}" if detail else ""),
        status=error.status,
        body=error.body,
        request_id=error.request_id,
    )
