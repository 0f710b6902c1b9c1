"""Per-call request options, event hooks and what a hook is shown.

Every public method of every resource takes ``**options: Unpack[RequestOptions]``
and hands the bundle, untouched, to the transport, which is the only place that
merges it into the request. So a new option is one field here and one line in the
transport, never an edit per method.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypedDict

__all__ = [
    "Hook",
    "RequestInfo",
    "RequestOptions",
    "ResponseHook",
    "ResponseInfo",
    "add_query_value",
    "encode_query",
    "merge_body",
    "merge_query",
]

QueryValue = str | int | float | bool | None


class RequestOptions(TypedDict, total=False):
    """Options every method accepts, for what the SDK does not know yet.

    - ``extra_headers``: added to (and overriding) the request's headers;
    - ``extra_query``: added to (and overriding) the query string;
    - ``extra_body``: merged into a JSON body (top level). A method without a JSON
      body sends it as the body; a multipart upload raises ``TypeError``.
    """

    extra_headers: Mapping[str, str]
    extra_query: Mapping[str, QueryValue | Sequence[str | int]]
    extra_body: Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class RequestInfo:
    """What ``on_request`` hooks see: one attempt about to be sent (retries included).

    ``headers`` are the request's headers with credentials redacted; ``attempt`` is
    0 for the first try, 1 for the first retry...; ``operation`` is the API call
    (``"ana.ask"``), or ``None`` for a request made outside one.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    attempt: int
    operation: str | None


@dataclasses.dataclass(frozen=True)
class ResponseInfo:
    """What ``on_response`` hooks see: the status and headers of one attempt's response.

    Called for every response, error statuses that will be retried included, before
    the body is read. ``elapsed`` is the seconds from sending to the headers.
    """

    request: RequestInfo
    status: int
    headers: Mapping[str, str]
    request_id: str | None
    elapsed: float


Hook = Callable[[RequestInfo], Awaitable[None]]
"""An ``on_request`` hook: an async callable given the :class:`RequestInfo`."""

ResponseHook = Callable[[ResponseInfo], Awaitable[None]]
"""An ``on_response`` hook: an async callable given the :class:`ResponseInfo`."""


def hooks_tuple(value: Any, name: str) -> tuple[Any, ...]:
    """``None``, one callable, or a sequence of callables, as a tuple (checked here)."""
    if value is None:
        return ()
    hooks = tuple(value) if isinstance(value, (list, tuple)) else (value,)
    for hook in hooks:
        if not callable(hook):
            raise TypeError(f"{name} must be an async callable (or a list of them), got {hook!r}")
    return hooks


def merge_query(
    query: list[tuple[str, str]] | None, extra: Mapping[str, Any] | None
) -> list[tuple[str, str]] | None:
    """``query`` with ``extra`` applied: a name in ``extra`` replaces every value of that name."""
    if not extra:
        return query
    out = [(k, v) for k, v in (query or []) if k not in extra]
    for name, value in extra.items():
        add_query_value(out, name, value)
    return out


def add_query_value(out: list[tuple[str, str]], name: str, value: Any) -> None:
    """Append ``name=value`` as sent: booleans ``true``/``false``, a list or tuple as one
    pair per item, ``None`` left out."""
    cls = type(value)
    if cls is str:  # the common case first: no isinstance chain per parameter
        out.append((name, value))
    elif value is None:
        return
    elif cls is bool:
        out.append((name, "true" if value else "false"))
    elif isinstance(value, (list, tuple)):
        for item in value:
            if isinstance(item, bool):
                out.append((name, "true" if item else "false"))
            else:
                out.append((name, str(item)))
    else:
        out.append((name, str(value)))


def merge_body(json: Any, extra: Mapping[str, Any] | None) -> Any:
    """The JSON body with ``extra`` merged at the top level (the body itself when it is ``None``)."""
    if not extra:
        return json
    if json is None:
        return dict(extra)
    if not isinstance(json, Mapping):
        raise TypeError(
            f"extra_body needs a JSON object body, this request sends {type(json).__name__}"
        )
    return {**json, **extra}


def encode_query(params: Mapping[str, Any] | None) -> list[tuple[str, str]] | None:
    """Query parameters as sent (see :func:`add_query_value`); ``None`` when there are none."""
    if not params:
        return None
    out: list[tuple[str, str]] = []
    for name, value in params.items():
        if type(value) is str:  # the common case, without a call per parameter
            out.append((name, value))
        elif value is not None:
            add_query_value(out, name, value)
    return out
