"""The base of every model a method returns: it carries the ``request_id`` of its response."""

from __future__ import annotations

import msgspec

__all__ = ["Result"]


class Result(msgspec.Struct, frozen=True, dict=True):
    """A model decoded from an API response.

    :attr:`request_id` is the response's ``X-Request-Id`` (quote it to TextQL
    support). It is not a field: equality, ``repr`` and encoding ignore it, and
    a model built by hand (or decoded by you) has ``None``.
    """

    @property
    def request_id(self) -> str | None:
        """The ``X-Request-Id`` of the response this object came from (``None`` if not from one)."""
        value: str | None = self.__dict__.get("_request_id")
        return value
