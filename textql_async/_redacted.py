"""Credentials that never show in a ``repr``: what keeps them out of rendered tracebacks.

Error trackers (Sentry, ``traceback.TracebackException(..., capture_locals=True)``)
print the ``repr`` of every local of every frame, ours and aiohttp's. A key, its
Basic encoding, a partner key or a connector password is therefore held, from the
moment it enters the SDK, in a :class:`RedactedStr`: a real ``str`` (aiohttp sends
it, ``==`` and ``in`` work) whose ``repr`` is ``'***'``. Request bodies, which may
carry a password, travel as :class:`RedactedBytes`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["RedactedBytes", "RedactedStr", "enc_hook", "redacted"]


class RedactedStr(str):
    """A ``str`` whose ``repr`` is ``'***'`` (``str()``, f-strings and the wire see the value)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'***'"


class RedactedBytes(bytes):
    """Bytes whose ``repr`` shows only their length (a request body that may hold a secret)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<{len(self)} bytes>"


def redacted(value: str) -> RedactedStr:
    """``value`` as a :class:`RedactedStr` (unchanged when it already is one)."""
    return value if isinstance(value, RedactedStr) else RedactedStr(value)


def enc_hook(value: Any) -> Any:
    """msgspec encodes exact ``str`` only: give it the plain value of a :class:`RedactedStr`."""
    if isinstance(value, RedactedStr):
        return str.__str__(value)
    raise NotImplementedError(f"objects of type {type(value).__name__} are not supported")
