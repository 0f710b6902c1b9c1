"""The only module that talks aiohttp: session, auth, retries, timeouts, error mapping.

Every exception aiohttp raises is mapped here to the SDK's error tree (the
original kept as ``__cause__``), so nothing above this layer knows aiohttp.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import aiohttp
import anyio
import msgspec
from aiohttp.helpers import get_env_proxy_for_url
from yarl import URL

from textql_async._config import Settings, Timeout
from textql_async._credentials import (
    AuthScheme,
    authorization,
    is_loopback,
    redact_headers,
    split_proxy,
)
from textql_async._deadline import Deadlines, deadline
from textql_async._exceptions import (
    CONNECT_CODE_ERRORS,
    CONNECT_RETRY_CODES,
    APIConnectionError,
    APIError,
    APITimeoutError,
    TextQLError,
)
from textql_async._http_errors import (
    api_error,
    content_type_error,
    has_content_type,
    retry_after,
    should_retry,
)
from textql_async._loop_scope import LoopScope
from textql_async._options import (
    Hook,
    RequestInfo,
    RequestOptions,
    ResponseHook,
    ResponseInfo,
    encode_query,
    merge_body,
    merge_query,
)
from textql_async._otel import Telemetry
from textql_async._otel import current as current_call
from textql_async._raw import capture
from textql_async._redacted import RedactedBytes, enc_hook, redacted
from textql_async._version import __version__

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["AuthScheme", "Response", "Transport"]

log = logging.getLogger("textql_async")

ParamValue = str | int | float | bool | None
Params = Mapping[str, ParamValue | Sequence[str | int]]

_MAX_ERROR_BODY = 64 * 1024
_MAX_RETRY_AFTER = 60.0
_json = msgspec.json.Decoder()
_json_encoder = msgspec.json.Encoder(enc_hook=enc_hook)  # RedactedStr values


class _Closable(Protocol):
    def close_by_client(self) -> None: ...


class Response(msgspec.Struct, frozen=True):
    """A fully read, successful response."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class Transport:
    """Owns the aiohttp session (unless the user passed one) and sends every request."""

    def __init__(
        self,
        settings: Settings,
        *,
        session: aiohttp.ClientSession | None = None,
        max_connections: int = 256,
        proxy: str | None = None,
        trust_env: bool = True,
        default_headers: Mapping[str, str] | None = None,
        on_request: Sequence[Hook] = (),
        on_response: Sequence[ResponseHook] = (),
        telemetry: Telemetry | None = None,
    ) -> None:
        self.settings = settings
        self.default_headers = dict(default_headers or {})
        self._on_request = tuple(on_request)
        self._on_response = tuple(on_response)
        self.telemetry = telemetry or Telemetry()
        self._root = self  # the transport owning the session; a derived copy shares it
        self._session = session
        self._owns_session = session is None
        self._max_connections = max_connections
        self._proxy, self._proxy_auth = split_proxy(proxy, None)
        self._trust_env = trust_env
        self._loop_scope = LoopScope(self._close_session)
        self._env_proxies: dict[str, tuple[str | None, str | None]] = {}
        self._closed = False
        self._open_streams: set[_Closable] = set()
        self._warned_plain_http = False
        self._auth_cache: dict[str, dict[str, str]] = {}  # per settings: reset by derive()
        self._timeouts: dict[tuple[int, bool], tuple[Timeout, aiohttp.ClientTimeout]] = {}
        self._deadlines: Deadlines | None = None  # of the loop in use (see _header_deadlines)
        # credentials as they appear on the wire (the key, the Basic token), longest first
        secrets = {
            settings.api_key,
            settings.partner_api_key,
            *self.auth_headers("ana")["Authorization"].split(" ")[1:],
        }
        self._secrets = sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True)

    @property
    def secrets(self) -> tuple[str, ...]:
        """The credentials as they appear on the wire (for log redaction)."""
        return tuple(self._secrets)

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` was called (on the transport owning the pool)."""
        return self._root._closed

    def derive(
        self, settings: Settings, *, default_headers: Mapping[str, str] | None = None
    ) -> Transport:
        """A copy with other settings (and default headers) sharing this one's session and streams."""
        other = copy.copy(self)
        other.settings = settings
        other._auth_cache = {}
        if default_headers is not None:
            other.default_headers = dict(default_headers)
        other._root = self._root
        return other

    def _get_session(self) -> aiohttp.ClientSession:
        """The session of the running loop: ours is made per loop (see ``_loop_scope``)."""
        if self._root is not self:
            session = self._root._get_session()
            self._warn_plain_http()
            return session
        if self._closed:
            raise APIConnectionError("the client is closed")
        if not self._owns_session:
            assert self._session is not None
            _check_loop(self._session)
        elif self._session is not None and not self._loop_scope.is_current():
            self._leave_stale_loop()
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max_connections),
                # aiohttp's default total of 300 s would cut a long Ana answer.
                timeout=aiohttp.ClientTimeout(total=None),
                headers={"User-Agent": f"textql-async/{__version__}"},
                # the environment is read once per pool by _proxy_for, not per request as
                # aiohttp's trust_env does (that costs ~0.25 ms a request: netrc, getproxies)
                trust_env=False,
            )
            self._env_proxies.clear()
            self._loop_scope.enter()  # closed when this loop shuts down (asyncio.run's end)
        self._warn_plain_http()
        return self._session

    def _header_deadlines(self) -> Deadlines:
        """The running loop's shared timer for the attempts' header deadlines."""
        loop = asyncio.get_running_loop()
        timers = self._deadlines
        if timers is None or timers.loop is not loop:
            timers = self._deadlines = Deadlines(loop)
        return timers

    def _proxy_for(self, base: str) -> tuple[str | None, str | None]:
        """``proxy=``, else ``HTTP(S)_PROXY``/``NO_PROXY`` (and ``~/.netrc``) as aiohttp reads them.

        A session the user passed applies its own ``trust_env``; only ``proxy=`` is added.
        """
        if self._proxy is not None or not self._trust_env or not self._owns_session:
            return self._proxy, self._proxy_auth
        found = self._env_proxies.get(base)
        if found is None:
            try:
                found = split_proxy(*get_env_proxy_for_url(URL(base)))
            except LookupError:  # no proxy for this scheme, or NO_PROXY names the host
                found = (None, None)
            self._env_proxies[base] = found
        return found

    def _leave_stale_loop(self) -> None:
        """Our session belongs to another loop that did not shut down through asyncio.run."""
        if self._loop_scope.loop_is_running():
            raise TextQLError(
                "this AsyncTextQL client is in use on another event loop (another thread): "
                "a client serves one loop at a time; make one client per thread, or use "
                "textql_async.sync.TextQL from threads"
            )
        # that loop was stopped or closed without finalizing: its connections died with it
        self._loop_scope.forget()
        self._session = None
        self._open_streams.clear()

    async def _close_session(self) -> None:
        """Close our session on its loop: at :meth:`aclose`, or when that loop shuts down."""
        for stream in list(self._open_streams):
            stream.close_by_client()
        self._open_streams.clear()
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def aclose(self) -> None:
        """End open streams and close the session we created (never a session the user passed).

        On a derived copy (``client.with_options(...)``) this does nothing: the
        original client owns the pool and closes it.
        """
        if self._root is not self:
            return
        self._closed = True
        if not self._owns_session:
            for stream in list(self._open_streams):
                stream.close_by_client()
            self._open_streams.clear()
            self._session = None
        elif self._session is not None and not self._loop_scope.is_current():
            self._loop_scope.forget()  # a session of a finished loop: nothing left to close here
            self._session = None
            self._open_streams.clear()
        else:
            await self._loop_scope.aclose()
            await self._close_session()

    def track(self, stream: _Closable) -> None:
        """Remember an open stream so closing the client ends it."""
        self._root._open_streams.add(stream)

    def untrack(self, stream: _Closable) -> None:
        """Forget a stream that finished or was closed."""
        self._root._open_streams.discard(stream)

    # -- headers -----------------------------------------------------------------------------

    def auth_headers(self, auth: AuthScheme) -> dict[str, str]:
        """Credentials for one API family: Basic for ``/api/ana`` with a member id, else Bearer.

        The values are ``RedactedStr`` s, so a traceback rendered with its locals
        (``all_headers`` here, aiohttp's header dict below) never shows them.
        """
        if auth == "none":
            return {}
        if auth == "partner":
            return {"X-API-Key": redacted(self.settings.partner_api_key or self.settings.api_key)}
        return {"Authorization": authorization(self.settings, auth)}

    def _auth_headers_for(self, auth: AuthScheme) -> dict[str, str]:
        """A fresh copy of :meth:`auth_headers`, built once per scheme (a base64 and a
        redacted string less per request)."""
        cached = self._auth_cache.get(auth)
        if cached is None:
            cached = self._auth_cache[auth] = self.auth_headers(auth)
        return dict(cached)

    def _client_timeout(self, t: Timeout, stream: bool) -> aiohttp.ClientTimeout:
        """aiohttp's timeouts for ``t``, made once per distinct ``Timeout``."""
        # keyed by identity (a dataclass hash is a Python call); the entry keeps ``t`` alive
        key = (id(t), stream)
        found = self._timeouts.get(key)
        if found is None or found[0] is not t:
            if len(self._timeouts) >= 64:  # many distinct timeouts: keep the cache bounded
                self._timeouts.clear()
            found = self._timeouts[key] = (
                t,
                aiohttp.ClientTimeout(
                    total=None,
                    connect=t.connect,
                    sock_connect=t.connect,
                    sock_read=None if stream else t.read,
                ),
            )
        return found[1]

    def redact(self, text: str) -> str:
        """Remove every credential (the key, the Basic token) from text that might echo it."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _warn_plain_http(self) -> None:
        if self._warned_plain_http:
            return
        self._warned_plain_http = True
        url = self.settings.base_url
        if url.startswith("http://") and not is_loopback(url):
            log.warning(
                "base_url %s uses plain http:// to a non-loopback host: credentials travel unencrypted",
                url,
            )

    # -- requests ----------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        auth: AuthScheme = "bearer",
        timeout: Timeout | None = None,
        max_retries: int | None = None,
        idempotent: bool | None = None,
        connect: bool = False,
        **options: Unpack[RequestOptions],
    ) -> Response:
        """Send a request, retrying what is safe to retry, and read the whole successful body."""
        t = timeout or self.settings.timeout
        try:
            with anyio.fail_after(t.total) if t.total else contextlib.nullcontext():
                response = await self.open(
                    method,
                    path,
                    params=params,
                    json=json,
                    data=data,
                    headers=headers,
                    auth=auth,
                    timeout=t,
                    max_retries=max_retries,
                    idempotent=idempotent,
                    stream=False,
                    connect=connect,
                    **options,
                )
                try:
                    body = await response.read()
                except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                    raise _connection_error(exc, "reading the response failed") from exc
                finally:
                    response.release()
        except TimeoutError as exc:
            raise APITimeoutError(f"{method} {path} exceeded the total timeout of {t.total} s") from exc
        return Response(response.status, dict(response.headers), body)

    async def open(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        auth: AuthScheme = "bearer",
        timeout: Timeout | None = None,
        max_retries: int | None = None,
        idempotent: bool | None = None,
        stream: bool = False,
        connect: bool = False,
        header_timeout: float | None = None,
        content_type: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> aiohttp.ClientResponse:
        """Send a request and return the open response once its status is a success.

        Error statuses become typed :class:`APIError` s. Retries follow the
        policy: connection errors and 408/409/429/5xx, with ``Retry-After``
        honoured; a non-idempotent request is re-sent only when it never left.
        ``header_timeout`` bounds each attempt's wait for the response headers. A success
        whose body is not ``content_type`` (an HTML page, plain text) is an :class:`APIError`.
        ``options`` (``extra_headers``, ``extra_query``, ``extra_body``) are merged last.
        Each attempt runs the ``on_request`` / ``on_response`` hooks and reports to
        the current :class:`~textql_async._otel.Call` (retries, status, ``traceparent``).
        """
        session = self._get_session()
        t = timeout or self.settings.timeout
        policy = self.settings.retry
        retries = policy.max_retries if max_retries is None else max_retries
        if idempotent is None:
            idempotent = method in ("GET", "HEAD", "OPTIONS", "PUT", "DELETE")
        base = self.settings.partner_base_url if auth == "partner" else self.settings.base_url
        url = base + path
        all_headers = self._auth_headers_for(auth)
        proxy, proxy_authorization = self._proxy_for(base)
        proxy_headers = None
        if proxy_authorization is not None:
            proxy_headers = {"Proxy-Authorization": proxy_authorization}  # for a CONNECT tunnel
            if base.startswith("http://"):  # no tunnel: the request itself goes to the proxy
                all_headers["Proxy-Authorization"] = proxy_authorization
        if connect:
            all_headers["Connect-Protocol-Version"] = "1"
            budget = t.total or t.read
            if budget is not None:
                all_headers["Connect-Timeout-Ms"] = str(int(budget * 1000))
        if self.default_headers:
            all_headers.update(self.default_headers)
        if headers:
            all_headers.update(headers)
        extra_headers = options.get("extra_headers")
        if extra_headers:
            all_headers.update(extra_headers)
        extra_body = options.get("extra_body")
        if extra_body:
            if data is not None:
                raise TypeError("extra_body cannot be merged into a multipart (form) body")
            json = merge_body(json, extra_body)
        body: bytes | None = None
        if json is not None:
            body = RedactedBytes(_json_encoder.encode(json))  # may carry a password
            all_headers.setdefault("Content-Type", "application/json")
        query = merge_query(encode_query(params), options.get("extra_query"))
        call = current_call.get()
        if call is not None and call.recording:
            call.request(method, url, query)
            call.inject(all_headers)
        client_timeout = self._client_timeout(t, stream)
        attempt = 0
        while True:
            if self._closed:
                raise APIConnectionError("the client is closed")
            if log.isEnabledFor(logging.DEBUG):  # the redacted copy only when it is logged
                log.debug("-> %s %s headers=%s", method, path, redact_headers(all_headers))
            info: RequestInfo | None = None
            if self._on_request or self._on_response:
                info = RequestInfo(
                    method,
                    url,
                    redact_headers(all_headers),
                    attempt,
                    call.operation if call is not None else None,
                )
                for hook in self._on_request:
                    await hook(info)
            timed = info is not None or log.isEnabledFor(logging.INFO)
            sent = time.perf_counter() if timed else 0.0
            try:
                # no anyio scope, and no loop timer of its own, per request
                with deadline(header_timeout or None, self._root._header_deadlines()):
                    response = await session.request(
                        method,
                        url,
                        params=query,
                        data=body if body is not None else data,
                        headers=all_headers,
                        timeout=client_timeout,
                        proxy=proxy,
                        proxy_headers=proxy_headers,
                    )
            except (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError) as exc:
                never_sent = isinstance(exc, aiohttp.ClientConnectorError)
                if attempt < retries and (idempotent or never_sent) and data is None:
                    delay = policy.backoff(attempt)
                    log.info(
                        "retrying %s %s in %.2fs after %s", method, path, delay, type(exc).__name__
                    )
                    if call is not None:
                        call.retry(attempt + 1, delay, type(exc).__name__)
                    attempt += 1
                    await anyio.sleep(delay)
                    continue
                raise _connection_error(exc, f"{method} {path} failed") from exc
            elapsed = time.perf_counter() - sent if timed else 0.0
            if timed:
                log.info("%s %s -> %s (%.0f ms)", method, path, response.status, elapsed * 1000)
            if call is not None:
                call.response(response.status, response.headers)
            if info is not None:
                answer = ResponseInfo(
                    info,
                    response.status,
                    response.headers,
                    response.headers.get("x-request-id"),
                    elapsed,
                )
                try:
                    for response_hook in self._on_response:
                        await response_hook(answer)
                except BaseException:
                    response.close()
                    raise
            if response.status < 300:
                capture(response.status, response.headers)
                if content_type is not None and not has_content_type(response.headers, content_type):
                    error = await self._error_from(response)
                    raise content_type_error(content_type, error, response.headers)
                return response
            error = await self._error_from(response)
            retry = should_retry(response.status, response.headers.get("x-should-retry"))
            if connect and error.code in CONNECT_CODE_ERRORS:
                retry = error.code in CONNECT_RETRY_CODES  # the Connect code, not the status
            if retry and attempt < retries and idempotent and data is None:
                wished = retry_after(response.headers)
                delay = policy.backoff(attempt) if wished is None else wished
                if delay <= _MAX_RETRY_AFTER:
                    log.info(
                        "retrying %s %s in %.2fs after HTTP %s",
                        method,
                        path,
                        delay,
                        response.status,
                    )
                    if call is not None:
                        call.retry(attempt + 1, delay, f"HTTP {response.status}")
                    attempt += 1
                    await anyio.sleep(delay)
                    continue
            capture(response.status, response.headers)
            raise error

    def error_from_body(self, status: int, headers: Mapping[str, str], raw: bytes) -> APIError:
        """Build the typed error for an error status from its body, credentials redacted."""
        return api_error(status, headers, raw, self.redact)

    async def _error_from(self, response: aiohttp.ClientResponse) -> APIError:
        try:
            raw = await _read_bounded(response, _MAX_ERROR_BODY)
        except (aiohttp.ClientError, asyncio.TimeoutError):
            raw = b""
        finally:
            response.release()
        return self.error_from_body(response.status, response.headers, raw)



def _check_loop(session: aiohttp.ClientSession) -> None:
    """A session the user passed works on its own loop only: say so clearly, not aiohttp's way."""
    loop = getattr(session, "_loop", None)  # aiohttp keeps the loop it was made on
    if loop is not None and loop is not asyncio.get_running_loop():
        raise TextQLError(
            "the aiohttp.ClientSession passed as session= belongs to another event loop: "
            "make the session (and the client) inside the coroutine that asyncio.run runs, "
            "or let the client make its own (it then makes one per loop)"
        )


async def _read_bounded(response: aiohttp.ClientResponse, limit: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    while size < limit:
        chunk = await response.content.read(limit - size)
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)


def _connection_error(exc: BaseException, what: str) -> APIConnectionError:
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError, aiohttp.ServerTimeoutError)):
        return APITimeoutError(f"{what}: timed out")
    return APIConnectionError(f"{what}: {type(exc).__name__}: {exc}")
