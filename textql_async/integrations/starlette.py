"""Relay Ana's answers from a Starlette or FastAPI app (extra ``fastapi``).

```text
app = FastAPI(lifespan=textql_lifespan(relay=lambda c: RedisRelay(c, os.environ["REDIS_URL"])))

@app.get("/answers/{answer_id}/events")
async def events(answer_id: str, request: Request, relay=Depends(get_relay)):
    owner = request.headers["X-User"]
    await relay.state(answer_id, owner=owner)          # AnswerNotFoundError -> your 404
    return sse_response(lambda after: relay.events(answer_id, owner=owner, after=after), request)
```

- :func:`textql_lifespan` opens ONE :class:`~textql_async.AsyncTextQL` and ONE relay backend
  per app at start-up and closes both at shutdown; :func:`get_client` / :func:`get_relay`
  hand them to a route (usable as FastAPI dependencies, or called with the request).
- :func:`sse_response` writes relay events as Server-Sent Events (``id:`` = the event's
  sequence number, ``event:`` = its kind, ``data:`` = its JSON), resumes from the request's
  ``Last-Event-ID``, sends a keep-alive comment when nothing was sent for ``keepalive``
  seconds (proxies cut idle streams), and stops reading upstream the moment the client
  disconnects.
- :func:`relay_websocket` sends the same events over a websocket as JSON messages
  ``{"id", "event", "data"}`` and (re)starts from each ``{"after": seq}`` message.

The module needs Starlette only (FastAPI builds on it); it never imports FastAPI.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any, TypeAlias, cast

import anyio
import msgspec
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

try:
    from starlette.requests import HTTPConnection
    from starlette.responses import PlainTextResponse, Response
    from starlette.types import Receive, Scope, Send
    from starlette.websockets import WebSocket, WebSocketDisconnect
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "textql_async.integrations.starlette needs Starlette: pip install 'textql-async[fastapi]'"
    ) from exc

from textql_async._client import AsyncTextQL
from textql_async._exceptions import TextQLError
from textql_async.relay import (
    AnswerNotFoundError,
    AnswerRelay,
    InMemoryRelay,
    RelayEvent,
    RelayUnavailableError,
)

__all__ = [
    "CLIENT_STATE_KEY",
    "EventSource",
    "RELAY_STATE_KEY",
    "SSEResponse",
    "encode_sse",
    "get_client",
    "get_relay",
    "last_event_id",
    "relay_websocket",
    "sse_response",
    "textql_lifespan",
]

_log = logging.getLogger(__name__)

CLIENT_STATE_KEY = "textql_client"
"""The lifespan-state key of the app's :class:`~textql_async.AsyncTextQL`."""
RELAY_STATE_KEY = "textql_relay"
"""The lifespan-state key of the app's relay backend."""

EventSource: TypeAlias = Callable[[int | None], AsyncIterable[RelayEvent]]
"""``after -> events``: how a response opens the relay feed from a position."""

ClientFactory: TypeAlias = Callable[[], AbstractAsyncContextManager[AsyncTextQL]]
RelayFactory: TypeAlias = Callable[[AsyncTextQL], AbstractAsyncContextManager[AnswerRelay]]
Lifespan: TypeAlias = Callable[[Any], AbstractAsyncContextManager[dict[str, Any]]]

_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",  # nginx and friends: do not buffer the stream
}
_KEEPALIVE_FRAME = b": keep-alive\n\n"
_json = msgspec.json.Encoder()


# -- lifespan and dependencies ---------------------------------------------------------------


def textql_lifespan(
    client: ClientFactory | None = None,
    relay: RelayFactory | None = None,
) -> Lifespan:
    """A Starlette/FastAPI ``lifespan=`` opening one client and one relay for the app.

    ``client()`` returns an async context manager giving an ``AsyncTextQL`` (default:
    ``AsyncTextQL()`` from the ``TEXTQL_*`` environment); ``relay(client)`` one giving the
    relay backend (default: :class:`~textql_async.relay.InMemoryRelay`). Both are entered at
    start-up, in that order, and closed at shutdown in reverse order - one connection pool
    per app, not per request. They land in the lifespan state (``request.state``) under
    :data:`CLIENT_STATE_KEY` and :data:`RELAY_STATE_KEY`; :func:`get_client` and
    :func:`get_relay` read them back.
    """
    make_client: ClientFactory = client if client is not None else AsyncTextQL
    make_relay: RelayFactory = relay if relay is not None else InMemoryRelay

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[dict[str, Any]]:
        async with AsyncExitStack() as stack:
            opened_client = await stack.enter_async_context(make_client())
            opened_relay = await stack.enter_async_context(make_relay(opened_client))
            yield {CLIENT_STATE_KEY: opened_client, RELAY_STATE_KEY: opened_relay}

    return lifespan


def _from_state(connection: HTTPConnection, key: str) -> Any:
    try:
        return getattr(connection.state, key)
    except AttributeError:
        raise RuntimeError(
            f"no {key!r} in the request state: pass lifespan=textql_lifespan(...) to the app "
            "(and run it under a server with lifespan support, such as uvicorn)"
        ) from None


def get_client(connection: HTTPConnection) -> AsyncTextQL:
    """The app's ``AsyncTextQL`` (a FastAPI dependency: ``Depends(get_client)``)."""
    return cast(AsyncTextQL, _from_state(connection, CLIENT_STATE_KEY))


def get_relay(connection: HTTPConnection) -> AnswerRelay:
    """The app's relay backend (a FastAPI dependency: ``Depends(get_relay)``)."""
    return cast(AnswerRelay, _from_state(connection, RELAY_STATE_KEY))


# -- Server-Sent Events ----------------------------------------------------------------------


def encode_sse(event: RelayEvent) -> bytes:
    """One SSE frame: ``id: seq``, ``event: kind``, one ``data:`` line of compact JSON."""
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (
        event.seq,
        event.kind.encode(),
        _json.encode(event.data),
    )


def last_event_id(request: HTTPConnection) -> int | None:
    """The ``Last-Event-ID`` header as a sequence number; ``None`` when absent or blank.

    Raises ``ValueError`` for anything but a non-negative integer (this server's ids are
    sequence numbers, so another value was not sent by an ``EventSource`` reading it).
    """
    raw = request.headers.get("last-event-id", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ValueError(f"Last-Event-ID must be a sequence number, got {raw[:40]!r}")
    return int(raw)


def _error_data(exc: BaseException) -> dict[str, str]:
    """``{"type", "message"}`` like the relay's own ``error`` events; internals stay private."""
    if isinstance(exc, (AnswerNotFoundError, RelayUnavailableError, TextQLError)):
        return {"type": type(exc).__name__, "message": str(exc) or type(exc).__name__}
    _log.error("relay feed failed", exc_info=exc)
    return {"type": "InternalError", "message": "internal error"}


class SSEResponse(Response):
    """A ``text/event-stream`` response over relay events (see :func:`sse_response`).

    Unlike a plain ``StreamingResponse`` on ASGI 2.4 servers, it always watches for the
    client's ``http.disconnect`` and cancels the upstream read at once instead of at the
    next failed write (which could be one keep-alive interval later).
    """

    media_type = "text/event-stream"

    def __init__(
        self,
        events: AsyncIterable[RelayEvent],
        *,
        keepalive: float = 15.0,
        retry: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if keepalive <= 0:
            raise ValueError(f"keepalive must be positive seconds, got {keepalive!r}")
        if retry is not None and retry < 0:
            raise ValueError(f"retry must be non-negative milliseconds, got {retry!r}")
        self.events = events
        self.keepalive = keepalive
        self.retry = retry
        self.status_code = 200
        self.background = None
        self.init_headers({**_HEADERS, **(headers or {})})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sender, receiver = anyio.create_memory_object_stream[bytes](0)
        async with anyio.create_task_group() as group:
            group.start_soon(self._pump, sender)
            group.start_soon(_watch_disconnect, receive, group.cancel_scope)
            try:
                await self._write(send, receiver)
            except OSError:  # ASGI 2.4: the client is gone
                pass
            group.cancel_scope.cancel()

    async def _pump(self, sender: MemoryObjectSendStream[bytes]) -> None:
        """Read upstream into ``sender`` (unbuffered: no read-ahead), then close it."""
        events = self.events
        async with sender:
            try:
                async for event in events:
                    await sender.send(encode_sse(event))
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                pass  # the writer stopped: the client is gone
            except Exception as exc:
                frame = _json.encode(_error_data(exc))
                with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
                    await sender.send(b"event: error\ndata: %s\n\n" % frame)
            finally:
                close = getattr(events, "aclose", None)
                if close is not None:
                    with anyio.CancelScope(shield=True):
                        await close()

    async def _write(self, send: Send, receiver: MemoryObjectReceiveStream[bytes]) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        if self.retry is not None:
            await _body(send, b"retry: %d\n\n" % self.retry)
        async with receiver:
            while True:
                frame = _KEEPALIVE_FRAME
                with anyio.move_on_after(self.keepalive):
                    try:
                        frame = await receiver.receive()
                    except anyio.EndOfStream:
                        break
                await _body(send, frame)
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _body(send: Send, chunk: bytes) -> None:
    await send({"type": "http.response.body", "body": chunk, "more_body": True})


async def _watch_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            scope.cancel()
            return


def sse_response(
    events: EventSource | AsyncIterable[RelayEvent],
    request: HTTPConnection | None = None,
    *,
    keepalive: float = 15.0,
    retry: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Relay events as a ``text/event-stream`` response.

    ``events`` is either ``after -> events`` (then ``request`` is required and its
    ``Last-Event-ID`` header is the ``after``: a browser's ``EventSource`` resumes exactly
    where it was) or the events themselves. Each event is written as ``id: seq``,
    ``event: kind`` and ``data: JSON``; a ``: keep-alive`` comment goes out after
    ``keepalive`` seconds of silence; ``retry`` (milliseconds) tells the browser how soon to
    reconnect. Headers include ``Cache-Control: no-cache`` and ``X-Accel-Buffering: no``.
    When the client disconnects the upstream read is cancelled and closed at once. An
    exception from upstream ends the stream with one ``event: error`` frame without ``id:``,
    data ``{"type", "message"}`` (the SDK's and the relay's errors by name and message;
    anything else as ``internal error``, logged, its text never sent).
    A malformed ``Last-Event-ID`` gives a 400 response instead.

    Check the answer exists (``await relay.state(...)``) before calling this if you want a
    404: once the response has started, its status is 200.
    """
    if callable(events):
        if request is None:
            raise TypeError("sse_response(after -> events, request): the request is required")
        try:
            after = last_event_id(request)
        except ValueError as exc:
            return PlainTextResponse(str(exc), status_code=400)
        events = events(after)
    return SSEResponse(events, keepalive=keepalive, retry=retry, headers=headers)


# -- websockets ------------------------------------------------------------------------------


_GONE = (WebSocketDisconnect, RuntimeError, OSError)  # sending to a socket that closed


def _message(event: RelayEvent) -> str:
    return _json.encode({"id": event.seq, "event": event.kind, "data": event.data}).decode()


def _parse_after(text: str) -> tuple[bool, int | None]:
    """``(valid, after)`` from a client message ``{"after": seq}`` (``null`` = from the start)."""
    try:
        data = json.loads(text)
    except ValueError:
        return False, None
    if not isinstance(data, dict) or "after" not in data:
        return False, None
    after = data["after"]
    if after is None:
        return True, None
    if isinstance(after, int) and not isinstance(after, bool) and after >= 0:
        return True, after
    return False, None


async def relay_websocket(
    websocket: WebSocket,
    events: EventSource,
    *,
    accept: bool = True,
) -> None:
    """Serve relay events over ``websocket`` as JSON text messages until done or gone.

    The client starts (and after a reconnect, resumes) the feed with ``{"after": seq}``
    (``{"after": null}`` for the whole answer); each event arrives as
    ``{"id": seq, "event": kind, "data": {...}}``, the same fields as the SSE frames. A
    later ``{"after": n}`` restarts the feed from ``n``. A message that is not of that shape
    is answered with ``{"event": "invalid", "data": {"message": ...}}`` and otherwise
    ignored. After ``done`` or ``error`` the socket is closed (code 1000); when the client
    leaves, the upstream read is cancelled. ``accept=False`` if you accepted it already.
    """
    if accept:
        await websocket.accept()
    lock = anyio.Lock()
    finished = anyio.Event()

    async def send(text: str) -> None:
        async with lock:
            await websocket.send_text(text)

    async def feed(after: int | None, scope: anyio.CancelScope) -> None:
        with scope:
            stream = events(after)
            try:
                async for event in stream:
                    try:
                        await send(_message(event))
                    except _GONE:
                        return  # the client left; the reading side ends the socket
            except Exception as exc:
                with contextlib.suppress(*_GONE):
                    await send(_json.encode({"event": "error", "data": _error_data(exc)}).decode())
            finally:
                close = getattr(stream, "aclose", None)
                if close is not None:
                    with anyio.CancelScope(shield=True):
                        await close()
            finished.set()

    async with anyio.create_task_group() as group:

        async def read() -> None:
            current: anyio.CancelScope | None = None
            try:
                while True:
                    text = await websocket.receive_text()
                    valid, after = _parse_after(text)
                    if not valid:
                        await send(
                            _json.encode(
                                {
                                    "event": "invalid",
                                    "data": {"message": 'expected {"after": seq or null}'},
                                }
                            ).decode()
                        )
                        continue
                    if current is not None:
                        current.cancel()
                    current = anyio.CancelScope()
                    group.start_soon(feed, after, current)
            except (WebSocketDisconnect, RuntimeError):
                pass  # the client left (RuntimeError: receive after a close)
            group.cancel_scope.cancel()

        group.start_soon(read)
        await finished.wait()
        group.cancel_scope.cancel()
    if finished.is_set():
        with anyio.CancelScope(shield=True):
            try:
                await websocket.close(code=1000)
            except (RuntimeError, OSError):
                pass  # already closed by the client
