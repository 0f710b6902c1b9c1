"""``client.with_raw_response``: the API groups again, each method returning a :class:`RawResponse`.

openai-python's spelling: ``raw = await client.with_raw_response.chats.list()``. The
proxies hold no state and copy no method: an attribute that is an API group gives
another proxy, a coroutine method gives the method run through
:func:`~textql_async.raw_response`, anything else (a stream, a pager, ``batch``,
``embed_url``) is returned as it is.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

from textql_async._raw import RawResponse, raw_response
from textql_async.resources._base import Resource

__all__ = ["RawClient", "RawResource"]


class RawResource:
    """One API group whose coroutine methods return :class:`~textql_async.RawResponse` s.

    The parsed result's type is ``Any`` here (no mapped types in Python's typing);
    ``await raw_response(client.chats.list())`` keeps it exact.
    """

    def __init__(self, target: object) -> None:
        self._target = target

    def __repr__(self) -> str:
        return f"<with_raw_response {self._target!r}>"

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if isinstance(value, Resource):
            return RawResource(value)
        if inspect.iscoroutinefunction(value):

            @functools.wraps(value)
            async def raw(*args: Any, **kwargs: Any) -> RawResponse[Any]:
                return await raw_response(value(*args, **kwargs))

            return raw
        return value


class RawClient(RawResource):
    """``client.with_raw_response``: ``client``'s API groups as :class:`RawResource` s."""

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if isinstance(value, Resource):
            return RawResource(value)
        raise AttributeError(f"with_raw_response has API groups only, not {name!r}")
