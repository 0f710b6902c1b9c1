"""Every error the SDK raises, in one tree.

```
TextQLError                      base of everything raised on purpose
├── ConfigurationError           (also ValueError) missing credentials, bad base URL
├── APIError                     the server answered with an error status
│   ├── BadRequestError          400
│   ├── AuthenticationError      401
│   ├── PermissionDeniedError    403
│   ├── NotFoundError            404
│   ├── ConflictError            409
│   ├── ValidationError          422 (.errors, .fields); alias UnprocessableEntityError
│   ├── RateLimitError           429 (.retry_after)
│   └── ServerError              5xx
├── APIConnectionError           the request never got an HTTP answer
│   └── APITimeoutError          a connect / idle / total timeout expired (.snapshot)
│       └── RecoveryTimeoutError drop recovery found no proof the answer ended (.snapshot, .reason)
├── StreamError                  the event stream was malformed or ended early (.snapshot, .raw)
│   └── EventTooLargeError       one event grew past the decoder's size limit
└── ChatFailedError              a v2 chat stream ended with status "failed" (.result)
```

Error messages never contain credentials. Exceptions raised by aiohttp are
mapped to this tree at the transport boundary and kept as ``__cause__``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textql_async.models.v2_chats import ChatResult
    from textql_async.sansio.fold import Snapshot

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ChatFailedError",
    "ConfigurationError",
    "ConflictError",
    "EventTooLargeError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RecoveryTimeoutError",
    "ServerError",
    "StreamError",
    "TextQLError",
    "UnprocessableEntityError",
    "ValidationError",
]


class TextQLError(Exception):
    """Base class of every error this SDK raises on purpose."""

    message: str

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(TextQLError, ValueError):
    """The client cannot be configured (for example: no API key anywhere)."""


class APIError(TextQLError):
    """The server answered with a non-success HTTP status.

    ``body`` is the decoded JSON error body when there was one, else the raw
    text (truncated); ``code`` is the machine-readable error code when the body
    carried one (``{"error": {"code": ...}}`` or a Connect ``{"code": ...}``).
    """

    status: int
    body: object
    request_id: str | None
    code: str | None

    def __init__(
        self,
        message: str,
        *,
        status: int,
        body: object = None,
        request_id: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.request_id = request_id
        self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, code={self.code!r}, message={self.message!r})"


class BadRequestError(APIError):
    """400: the request was invalid."""


class AuthenticationError(APIError):
    """401: the API key or member id was missing or wrong."""


class PermissionDeniedError(APIError):
    """403: the credentials are valid but not allowed to do this."""


class NotFoundError(APIError):
    """404: the resource does not exist."""


class ConflictError(APIError):
    """409: the request conflicts with the resource's current state."""


class ValidationError(APIError):
    """422: the body was well-formed but failed validation.

    ``errors`` lists the server's complaints (FastAPI style ``{loc, msg, type}``);
    ``fields`` names the offending fields (``loc`` joined with dots, ``body`` dropped).
    """

    errors: list[dict[str, Any]]
    fields: list[str]

    def __init__(
        self,
        message: str,
        *,
        status: int = 422,
        body: object = None,
        request_id: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, status=status, body=body, request_id=request_id, code=code)
        detail = body.get("detail") if isinstance(body, dict) else None
        self.errors = [d for d in detail if isinstance(d, dict)] if isinstance(detail, list) else []
        self.fields = [
            ".".join(str(p) for p in e.get("loc", []) if p != "body") for e in self.errors
        ]


UnprocessableEntityError = ValidationError
"""The same class as ``ValidationError`` (HTTP 422), under the name the status table uses."""


class RateLimitError(APIError):
    """429: too many requests. ``retry_after`` is the server's wish in seconds, if it said one."""

    retry_after: float | None

    def __init__(
        self,
        message: str,
        *,
        status: int = 429,
        body: object = None,
        request_id: str | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, body=body, request_id=request_id, code=code)
        self.retry_after = retry_after


class ServerError(APIError):
    """5xx: the server failed."""


class APIConnectionError(TextQLError):
    """The request could not reach the server or the connection broke before an answer."""


class APITimeoutError(APIConnectionError):
    """A timeout expired. For streams, ``snapshot`` holds every block received so far."""

    snapshot: Snapshot | None
    #: true for a stream's idle timeout: the answer may still complete server-side
    recoverable: bool
    #: for v2 chat streams: the ``ChatSnapshot`` received so far
    partial: Any

    def __init__(self, message: str, *, snapshot: Snapshot | None = None) -> None:
        super().__init__(message)
        self.snapshot = snapshot
        self.recoverable = False
        self.partial = None


class RecoveryTimeoutError(APITimeoutError):
    """Drop recovery found no proof within its timeout that the answer ended.

    The chat history still showed a partial answer (or none): returning it would pass
    a partial answer off as complete, so this is raised instead. ``snapshot`` is the best
    state known (the stream's snapshot merged with the newest history body); ``reason``
    says what was still awaited; ``recoverable`` is true: recovering again later may
    succeed, as Ana keeps working server-side.
    """

    reason: str
    chat_id: str

    def __init__(self, message: str, *, snapshot: Snapshot, reason: str, chat_id: str) -> None:
        super().__init__(message, snapshot=snapshot)
        self.recoverable = True
        self.reason = reason
        self.chat_id = chat_id


class StreamError(TextQLError):
    """The event stream was malformed or ended before ``done``.

    ``snapshot`` holds every block received before the failure, so a caller can
    always show what arrived; ``raw`` holds the offending payload, when there was one.
    ``updates`` holds the block updates the failing chunk completed before the failure
    (:meth:`AnaDecoder.feed <textql_async.sansio.AnaDecoder.feed>` raises instead of
    returning them; a stream yields them first, then raises).
    """

    snapshot: Snapshot | None
    raw: str | None
    updates: list[Any]
    #: whether the answer may still be complete server-side (the connection broke or the body
    #: ended early), so it can be recovered from the chat history; malformed events are not
    recoverable: bool
    #: for v2 chat streams: the ``ChatSnapshot`` received so far (``snapshot`` is Ana's)
    partial: Any

    def __init__(
        self,
        message: str,
        *,
        snapshot: Snapshot | None = None,
        raw: str | None = None,
        recoverable: bool = False,
    ) -> None:
        super().__init__(message)
        self.snapshot = snapshot
        self.raw = raw
        self.recoverable = recoverable
        self.partial = None
        self.updates = []


class EventTooLargeError(StreamError):
    """One server-sent event grew past the decoder's ``max_event_size``."""

    limit: int
    #: events the decoder completed in the same chunk before the oversized one (not lost)
    events: list[Any]

    def __init__(self, message: str, *, limit: int, snapshot: Snapshot | None = None) -> None:
        super().__init__(message, snapshot=snapshot)
        self.limit = limit
        self.events = []


class ChatFailedError(TextQLError):
    """A v2 chat stream ended with ``status: failed``; ``result`` holds the partial answer."""

    result: ChatResult
    error: str | None

    def __init__(self, message: str, *, result: ChatResult, error: str | None) -> None:
        super().__init__(message)
        self.result = result
        self.error = error


STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitError,
}


#: Connect-RPC error codes (v1 endpoints) and the error each one means.
CONNECT_CODE_ERRORS: dict[str, type[APIError]] = {
    "invalid_argument": BadRequestError,
    "failed_precondition": BadRequestError,
    "out_of_range": BadRequestError,
    "unauthenticated": AuthenticationError,
    "permission_denied": PermissionDeniedError,
    "not_found": NotFoundError,
    "already_exists": ConflictError,
    "aborted": ConflictError,
    "resource_exhausted": RateLimitError,
    "unavailable": ServerError,
    "internal": ServerError,
    "unknown": ServerError,
    "data_loss": ServerError,
    "unimplemented": ServerError,
    "deadline_exceeded": ServerError,
    "canceled": APIError,
}
#: Connect codes that are safe to retry whatever the HTTP status says.
CONNECT_RETRY_CODES = frozenset({"unavailable", "resource_exhausted"})


def error_class_for_status(status: int) -> type[APIError]:
    """The most specific :class:`APIError` subclass for an HTTP status."""
    if status >= 500:
        return ServerError
    return STATUS_ERRORS.get(status, APIError)

