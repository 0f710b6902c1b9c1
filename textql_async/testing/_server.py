"""``FakeTextQL``: a local aiohttp server that speaks the Ana wire format."""

from __future__ import annotations

import asyncio
import base64
import contextvars
import time
from collections import Counter
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.typedefs import Handler
from multidict import CIMultiDict, CIMultiDictProxy

from textql_async.testing._ana import AnaRoutes
from textql_async.testing._families import RouteFamily
from textql_async.testing._faults import (
    Delay,
    Disconnect,
    Fault,
    HTTPError,
)
from textql_async.testing._partner import PartnerRoutes
from textql_async.testing._rules import (
    AnswerRule,
    FaultQueue,
    Matcher,
    RecordedRequest,
    RecordedResponse,
    ScriptSource,
    is_authorized,
    json_error,
)
from textql_async.testing._store import (
    ChatStore,
    StoredChat,
    check_history_mode,
)
from textql_async.testing._v1 import V1Routes
from textql_async.testing._v2 import V2Routes
from textql_async.testing._v2_api_keys import ApiKeyRoutes
from textql_async.testing._v2_changes import ChangeRoutes
from textql_async.testing._v2_connectors import ConnectorRoutes
from textql_async.testing._v2_members import MemberRoutes
from textql_async.testing._v2_playbooks import PlaybookRoutes
from textql_async.testing._v2_sandcastles import SandcastleRoutes

if TYPE_CHECKING:
    from textql_async._client import AsyncTextQL

__all__ = ["FakeTextQL"]

_REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("fake_textql_request_id")


class FakeTextQL:
    """A loopback fake of the TextQL Ana API for tests, examples and benchmarks.

    ``async with FakeTextQL() as fake:`` binds ``127.0.0.1`` on a free port; ``fake.url`` is
    the base URL and ``fake.client()`` builds an ``AsyncTextQL`` pointed at it.
    """

    def __init__(
        self,
        api_key: str = "test-key",
        member_id: str = "test-member",
        *,
        event_delay: float = 0.0,
        chunk_size: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        org_id: str = "organization-fake-00000000",
        answer_completes_after: float = 0.0,
        history: str = "live",
    ) -> None:
        """Configure the fake; nothing is bound until it is entered (or :meth:`start`).

        Like the real service, Ana keeps working when a stream is cut (a ``DropAfter``,
        ``Stall`` or ``Truncate`` fault, or the client going away): the chat history then
        holds the complete answer ``answer_completes_after`` seconds after the question
        arrived. Before that, ``GET /api/ana/{chat_id}`` shows the answer as Ana is still
        working on it, as ``history`` says (see ``HISTORY_MODES``):

        - ``"live"`` (default): the partial assistant message - every block as far as it
          was streamed when the cut came (a PythonBlock without results, say);
        - ``"lagging"``: a history behind the stream - no assistant message in the first
          half of the working time, then fewer blocks than were streamed;
        - ``"partial"``: the partial message forever (the answer never completes);
        - ``"flaky"``: as ``"live"``, but every other history read (the first included)
          fails with a transient 503.

        Both can be changed on a running fake (``fake.history = "partial"``); a chat
        keeps the ``history`` it was asked with.
        """
        self.api_key = api_key
        self.member_id = member_id
        self.event_delay = event_delay
        self.chunk_size = chunk_size
        self.host = host
        self.port = port
        self.answer_completes_after = answer_completes_after
        self.history = check_history_mode(history)
        self.requests: list[RecordedRequest] = []
        """Every request received, in arrival order (including rejected ones)."""
        self.responses: list[RecordedResponse] = []
        """Every JSON response sent, with its route template (for contract tests)."""
        self.store = ChatStore(org_id)
        self._faults = FaultQueue()
        self._runner: web.AppRunner | None = None
        self._handler_tasks: set[asyncio.Task[Any]] = set()
        self._total_connections = 0
        self.asks: Counter[str] = Counter()
        """How many times each question was asked (``GET /api/ana`` accepted), by question."""
        self.peak_streams = 0
        """The most ``/api/ana`` streams that were open at once since start."""
        self._request_counter = 0
        self.partner_api_key = "test-partner-key"
        """The key the partner routes (``/partner/...``, ``X-API-Key``) accept."""
        self.ana = AnaRoutes(self, self._faults)
        self.v2 = V2Routes(self)
        self.connectors = ConnectorRoutes(self)
        self.playbooks = PlaybookRoutes(self)
        self.sandcastles = SandcastleRoutes(self)
        self.changes = ChangeRoutes(self)
        self.members = MemberRoutes(self)
        self.api_keys = ApiKeyRoutes(self)
        self.v1 = V1Routes(self)
        self.partner = PartnerRoutes(self)
        # the most specific prefixes first: /v2/connectors etc. before /v2/
        self._families: tuple[RouteFamily, ...] = (
            self.connectors,
            self.playbooks,
            self.sandcastles,
            self.changes,
            self.members,
            self.api_keys,
            self.v2,
            self.v1,
            self.partner,
        )

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind and start serving (called by ``async with``)."""
        if self._runner is not None:
            raise RuntimeError("FakeTextQL is already running")
        self.ana.closing = asyncio.Event()
        runner = web.AppRunner(
            self._build_app(), handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await runner.setup()
        server = runner.server
        assert server is not None
        original = server.connection_made

        def connection_made(handler: Any, transport: asyncio.Transport) -> None:
            self._total_connections += 1
            original(handler, transport)

        server.connection_made = connection_made  # type: ignore[method-assign]
        # a listen queue for a thousand clients connecting at once: with aiohttp's default
        # of 128, the rest see their SYN dropped and retried a second later (a 1 s p99)
        site = web.TCPSite(runner, self.host, self.port, backlog=1024)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])

    async def close(self) -> None:
        """Cancel handlers still running (stalls, delays), close connections and unbind."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self.ana.closing.set()
        tasks = [t for t in self._handler_tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2.0)
        await runner.cleanup()

    async def __aenter__(self) -> FakeTextQL:
        """Start the server and return it."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Shut the server down."""
        await self.close()

    # -- public API ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:54321`` (only while running)."""
        if self._runner is None:
            raise RuntimeError("FakeTextQL is not running; use `async with FakeTextQL()`")
        return f"http://{self.host}:{self.port}"

    def client(self, **kwargs: Any) -> AsyncTextQL:
        """Return an ``AsyncTextQL`` with this fake's credentials and ``base_url``."""
        from textql_async import AsyncTextQL

        kwargs.setdefault("api_key", self.api_key)
        kwargs.setdefault("member_id", self.member_id)
        kwargs.setdefault("base_url", self.url)
        kwargs.setdefault("partner_base_url", self.partner_url)
        kwargs.setdefault("partner_api_key", self.partner_api_key)
        return AsyncTextQL(**kwargs)

    @property
    def partner_url(self) -> str:
        """Base URL of the partner API on this fake (``partner_base_url=``)."""
        return self.url + "/partner"

    def auth_headers(self, scheme: str = "basic") -> dict[str, str]:
        """Return an ``Authorization`` header the fake accepts (``"basic"`` or ``"bearer"``)."""
        if scheme.lower() == "bearer":
            return {"Authorization": f"Bearer {self.api_key}"}
        token = base64.b64encode(f"{self.member_id}:{self.api_key}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def add_answer(
        self,
        match: Matcher,
        events: ScriptSource,
        *,
        event_delay: float | None = None,
        chunk_size: int | None = None,
        history: str | Callable[[str], str] | None = None,
        answer_completes_after: float | Callable[[str], float] | None = None,
    ) -> None:
        """Script the answer for questions matching ``match`` (later additions win).

        ``history`` and ``answer_completes_after`` override the fake's own for these
        questions (how the chat history shows the answer after a cut, and when it lands);
        either may be a function of the question, so one rule can vary them per question.
        """
        if isinstance(history, str):
            check_history_mode(history)
        self.ana.rules.append(
            AnswerRule(match, events, event_delay, chunk_size, history, answer_completes_after)
        )

    def inject(
        self,
        fault: Fault,
        times: int | None = 1,
        *,
        path: str | None = None,
        question: Matcher | None = None,
    ) -> None:
        """Apply ``fault`` to the next ``times`` matching requests (``None``: until cleared).

        ``HTTPError``, ``Delay`` and ``Disconnect`` apply to any route; stream faults to
        ``/api/ana`` only. ``path`` restricts the fault to requests for exactly that path;
        ``question`` to ``/api/ana`` requests whose question it matches (exact string,
        regex or predicate), so concurrent questions can each get their own fault.
        """
        self._faults.add(fault, times, path, question)

    def clear_faults(self) -> None:
        """Forget every pending injected fault."""
        self._faults.clear()

    @property
    def chats(self) -> list[StoredChat]:
        """The chats served so far, newest first."""
        return self.store.all()

    @property
    def open_connections(self) -> int:
        """Currently open TCP connections."""
        server = self._runner.server if self._runner is not None else None
        return len(server.connections) if server is not None else 0

    @property
    def total_connections(self) -> int:
        """TCP connections accepted since start."""
        return self._total_connections

    @property
    def active_streams(self) -> int:
        """``/api/ana`` stream handlers running right now."""
        return len(self.ana.stream_tasks)

    def stats(self) -> dict[str, Any]:
        """Counters for tests that run the fake in another process (``GET /_fake/stats``).

        ``{"asks": {question: count}, "asks_total", "peak_streams", "active_streams",
        "history_reads", "last_ask_age", "ask_times"}`` - ``last_ask_age`` is the seconds
        since the newest question arrived (``None`` before any), ``ask_times`` when each
        question arrived, in seconds after the first.
        """
        times = self.ana.ask_times
        first = times[0] if times else 0.0
        return {
            "asks": dict(self.asks),
            "asks_total": sum(self.asks.values()),
            "peak_streams": self.peak_streams,
            "active_streams": self.active_streams,
            "history_reads": sum(
                1
                for r in self.requests
                if r.path.startswith("/api/ana/") and r.path != "/api/ana/chat/summary"
            ),
            "last_ask_age": time.monotonic() - times[-1] if times else None,
            "ask_times": [t - first for t in times],
        }

    async def wait_for_streams_closed(self, timeout: float = 5.0) -> None:
        """Wait until no stream handler is running; ``TimeoutError`` after ``timeout``."""
        await self._wait_until(lambda: self.active_streams == 0, timeout, "streams to close")

    async def wait_for_disconnects(self, timeout: float = 5.0) -> None:
        """Wait until no stream runs and no TCP connection is open; ``TimeoutError`` if not."""
        await self._wait_until(
            lambda: self.active_streams == 0 and self.open_connections == 0,
            timeout,
            "disconnects",
        )

    async def wait_for_requests(self, count: int, timeout: float = 5.0) -> None:
        """Wait until at least ``count`` requests were received; ``TimeoutError`` if not."""
        await self._wait_until(lambda: len(self.requests) >= count, timeout, "requests")

    async def _wait_until(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"timed out after {timeout}s waiting for {what}: "
                    f"streams={self.active_streams} connections={self.open_connections} "
                    f"requests={len(self.requests)}"
                )
            await asyncio.sleep(0.005)

    # -- application -----------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        self.ana.add_routes(app)
        app.router.add_get("/_fake/stats", self._handle_stats)
        for family in self._families:
            family.add_routes(app)
        # aiohttp 3.9 typed this signal wrongly; later releases accept the handler as is.
        app.on_response_prepare.append(self._add_request_id)  # type: ignore[arg-type,unused-ignore]
        return app

    async def _add_request_id(self, request: web.Request, response: web.StreamResponse) -> None:
        request_id = _REQUEST_ID.get(None)
        if request_id is not None:
            response.headers.setdefault("X-Request-Id", request_id)
        if isinstance(response, web.Response) and response.content_type == "application/json":
            body = response.body
            if isinstance(body, bytes):
                resource = request.match_info.route.resource
                route = resource.canonical if resource is not None else request.path
                self.responses.append(
                    RecordedResponse(request.method, route, response.status, body)
                )

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        task = asyncio.current_task()
        assert task is not None
        self._handler_tasks.add(task)
        try:
            return await self._dispatch(request, handler)
        finally:
            self._handler_tasks.discard(task)

    async def _dispatch(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self._request_counter += 1
        _REQUEST_ID.set(f"req_fake_{self._request_counter:06d}")
        # a JSON body is cached by aiohttp, so the handler can still read it
        body = await request.read() if request.content_type == "application/json" else b""
        self.requests.append(
            RecordedRequest(
                request.method,
                request.path,
                dict(request.query),
                CIMultiDictProxy(CIMultiDict(request.headers)),
                body,
            )
        )
        question = request.query.get("query") if request.path == "/api/ana" else None
        delay = self._faults.take(request.path, (Delay,), question)
        if isinstance(delay, Delay):
            await asyncio.sleep(delay.seconds)
        if self._faults.take(request.path, (Disconnect,), question) is not None:
            if request.transport is not None:
                request.transport.close()
            return web.Response()  # never reaches the client: the connection is gone
        error = self._faults.take(request.path, (HTTPError,), question)
        if isinstance(error, HTTPError):
            return web.Response(
                status=error.status,
                body=error.render_body(),
                headers={**error.headers, "Content-Type": error.content_type},
            )
        family = next((f for f in self._families if request.path.startswith(f.prefix)), None)
        if request.path.startswith("/_fake/"):
            pass  # the fake's own test routes: loopback only, no credentials
        elif family is not None:
            denied = family.authorize(request)
            if denied is not None:
                return denied
        else:
            header = request.headers.get("Authorization", "")
            if not is_authorized(header, member_id=self.member_id, api_key=self.api_key):
                return json_error(401, "unauthenticated", "missing or invalid API credentials")
        try:
            return await handler(request)
        except web.HTTPNotFound:
            return json_error(404, "not_found", f"no route for {request.path}")
        except web.HTTPMethodNotAllowed:
            return json_error(405, "method_not_allowed", f"{request.method} not allowed")

    async def _handle_stats(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.stats())
