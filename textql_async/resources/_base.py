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
from types import TracebackType
from typing import Any, ClassVar, TypeVar

import msgspec

from textql_async._exceptions import APIError
from textql_async._otel import Telemetry, begin, current
from textql_async._raw import set_request_id
from textql_async._transport import Response, Transport

__all__ = ["Operation", "Resource", "decode_response", "records_itself", "require_text"]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


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
            if inspect.iscoroutinefunction(method) and not getattr(
                method, "__textql_records_itself__", False
            ):
                original = getattr(method, "__textql_method__", method)
                setattr(cls, name, _operation(f"{cls.family}.{name}", original))


class Operation:
    """One API call's telemetry, opened around a method's body by a plain ``with``.

    ``with Operation(telemetry, "ana.ask") as op: result = await ...`` then
    ``return op.done(result)``. A sync context manager adds no coroutine level: each
    level is resumed at every wait of the request, which is measurable per answer at
    thousands of answers in flight (see :func:`records_itself`).
    """

    __slots__ = ("_token", "record")

    def __init__(self, telemetry: Telemetry, operation: str) -> None:
        self.record = begin(telemetry, operation)
        self._token = current.set(self.record)

    def __enter__(self) -> Operation:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        current.reset(self._token)
        if exc is not None:
            self.record.end(error=exc)

    def done(self, result: T) -> T:
        """The call returned ``result``: give it the request id, end the call."""
        set_request_id(result, self.record.request_id)
        self.record.end(result)
        return result


def records_itself(method: F) -> F:
    """Mark a hot method that opens its own :class:`Operation`, so :class:`Resource` does
    not wrap it in a coroutine of its own (``ana.ask``: one level less per answer)."""
    method.__textql_records_itself__ = True  # type: ignore[attr-defined]
    return method


def _operation(
    operation: str, method: Callable[..., Coroutine[Any, Any, T]]
) -> Callable[..., Coroutine[Any, Any, T]]:
    """``method`` run as the API call ``operation``: its telemetry, and its result's request id."""

    @functools.wraps(method)
    async def call(self: Resource, *args: Any, **kwargs: Any) -> T:
        with Operation(self._transport.telemetry, operation) as op:
            pending = method(self, *args, **kwargs)
            # the coroutine holds the arguments now: a traceback rendered with its locals
            # (Sentry) must not show a password passed positionally in this frame
            del args, kwargs
            result = await pending
        return op.done(result)

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
