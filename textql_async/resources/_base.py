"""Shared by the resource classes: the :class:`Resource` base, argument checks, response decoding.

:class:`Resource` turns every public coroutine method of a resource into one traced
API call (``textql chats.list``): it opens the call's :class:`~textql_async._otel.Call`
around the method, so the transport, the streams and the telemetry all know which
operation they serve, and gives the result its ``request_id``. Nothing is written
per method: a new method is covered by being defined.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar, TypeVar

import msgspec

from textql_async._exceptions import APIError
from textql_async._otel import begin, current
from textql_async._raw import set_request_id
from textql_async._transport import Response, Transport

__all__ = ["Resource", "decode_response", "require_text"]

T = TypeVar("T")


class Resource:
    """The base of every API group (``client.chats``, ``client.partner.spaces``...).

    Subclasses name their family (``class ChatsResource(Resource, family="chats")``);
    each public ``async def`` becomes the operation ``<family>.<method>``.
    """

    family: ClassVar[str] = ""
    _transport: Transport

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def __init_subclass__(cls, family: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if family:
            cls.family = family
        for name in dir(cls):
            if name.startswith("_"):
                continue
            method = inspect.getattr_static(cls, name)
            if inspect.iscoroutinefunction(method):
                original = getattr(method, "__textql_method__", method)
                setattr(cls, name, _operation(f"{cls.family}.{name}", original))


def _operation(
    operation: str, method: Callable[..., Coroutine[Any, Any, T]]
) -> Callable[..., Coroutine[Any, Any, T]]:
    """``method`` run as the API call ``operation``: its telemetry, and its result's request id."""

    @functools.wraps(method)
    async def call(self: Resource, *args: Any, **kwargs: Any) -> T:
        record = begin(self._transport.telemetry, operation)
        token = current.set(record)
        try:
            result = await method(self, *args, **kwargs)
        except BaseException as exc:
            record.end(error=exc)
            raise
        finally:
            current.reset(token)
        set_request_id(result, record.request_id)
        record.end(result)
        return result

    call.__textql_method__ = method  # type: ignore[attr-defined]
    call.__textql_operation__ = operation  # type: ignore[attr-defined]
    return call


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
