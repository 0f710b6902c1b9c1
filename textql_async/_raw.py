"""Raw responses: the status, headers and request id of a call, with its parsed result.

``client.with_raw_response.<resource>.<method>(...)`` (openai-python's spelling) and
:func:`raw_response` (fully typed: ``RawResponse[list[Chat]]``) both run the call with
a capture slot set in a context variable; the transport fills it with the call's
final HTTP response (the first one that was not retried).
"""

from __future__ import annotations

import contextvars
import dataclasses
from collections.abc import Awaitable, Mapping
from typing import Any, Generic, TypeVar

__all__ = ["RawResponse", "capture", "raw_response", "set_request_id"]

T = TypeVar("T")


class _Slot:
    __slots__ = ("headers", "status")

    def __init__(self) -> None:
        self.status: int | None = None
        self.headers: Mapping[str, str] | None = None


_capture: contextvars.ContextVar[_Slot | None] = contextvars.ContextVar(
    "textql_raw_response", default=None
)


def capture(status: int, headers: Mapping[str, str]) -> None:
    """Called by the transport for every final response: filled once per raw call."""
    slot = _capture.get()
    if slot is not None and slot.status is None:
        slot.status = status
        slot.headers = headers  # aiohttp's read-only, case-insensitive headers


@dataclasses.dataclass(frozen=True)
class RawResponse(Generic[T]):
    """One call's HTTP response and its parsed result.

    ``status_code`` and ``headers`` are those of the call's final response (for
    ``ana.ask``, the event stream's; for a recovered answer, still the stream's);
    ``request_id`` is its ``X-Request-Id``; ``parsed`` is what the method returns.
    """

    status_code: int
    headers: Mapping[str, str]
    request_id: str | None
    parsed: T

    def parse(self) -> T:
        """The parsed result (openai-python's ``parse()``)."""
        return self.parsed


async def raw_response(call: Awaitable[T]) -> RawResponse[T]:
    """Await ``call`` (an SDK coroutine) and return it with its HTTP response.

    ``raw = await raw_response(client.chats.list())`` then ``raw.headers``,
    ``raw.request_id`` and ``raw.parsed`` (a ``list[Chat]`` for the type checker).
    """
    slot = _Slot()
    token = _capture.set(slot)
    try:
        parsed = await call
    finally:
        _capture.reset(token)
    if slot.status is None or slot.headers is None:
        raise TypeError(f"{call!r} sent no request: raw_response() takes an SDK API call")
    headers = slot.headers
    return RawResponse(slot.status, headers, _request_id(headers), parsed)


def _request_id(headers: Mapping[str, str]) -> str | None:
    for name in ("x-request-id", "X-Request-Id", "request-id"):  # a plain dict is case-sensitive
        value = headers.get(name)
        if value:
            return value
    return None


def set_request_id(result: Any, request_id: str | None) -> None:
    """Give ``result`` (or each element of a returned list) its ``request_id``.

    Only models built for it (a ``__dict__``, see ``models._base.Result``) take it,
    and the models in their list fields (a page's items); anything else (``bool``,
    ``None``, a block) is left alone. An id already set is kept (the innermost call's).
    """
    if request_id is None:
        return
    if isinstance(result, list):
        for item in result:
            _set(item, request_id)
    else:
        _set(result, request_id)


def _set(obj: Any, request_id: str, depth: int = 0) -> None:
    state = getattr(obj, "__dict__", None)
    if state is None or not hasattr(type(obj), "request_id") or "_request_id" in state:
        return
    state["_request_id"] = request_id
    if depth:
        return
    for name in getattr(obj, "__struct_fields__", ()):
        value = getattr(obj, name)  # a page's items carry it too
        if isinstance(value, (list, tuple)) and value and hasattr(type(value[0]), "request_id"):
            for item in value:
                _set(item, request_id, 1)
