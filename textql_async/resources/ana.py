"""``client.ana``: ask Ana questions over ``GET /api/ana`` and read chat history."""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, Callable, Coroutine, Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import msgspec

from textql_async._batch import BatchItem, Progress, Query, run_batch
from textql_async._config import Timeout, as_timeout
from textql_async._exceptions import (
    APITimeoutError,
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    RecoveryTimeoutError,
    StreamError,
)
from textql_async._options import RequestOptions
from textql_async._recovery import check_recovery_arguments, recover_answer
from textql_async._streaming import AnaStream
from textql_async._transport import Transport
from textql_async.models.ana import (
    AnaResult,
    ChatMessage,
    ChatSummary,
    decode_chat_messages,
    decode_chat_summaries,
)
from textql_async.resources._base import (
    Operation,
    Resource,
    decode_response,
    records_itself,
    require_text,
)
from textql_async.sansio.fold import Snapshot
from textql_async.sansio.sse import DEFAULT_MAX_EVENT_SIZE

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["AnaResource"]

_SSE_ACCEPT = {"Accept": "text/event-stream"}  # only read: merged into each request's own dict


class AnaResource(Resource, family="ana"):
    """Ana, the data-analyst agent: streamed answers and chat history."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def stream(
        self,
        query: str,
        *,
        dataset: str | None = None,
        use_ontology: bool = False,
        ontology_connector_id: int | None = None,
        clifford: bool = False,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        coalesce: bool = False,
        **options: Unpack[RequestOptions],
    ) -> AnaStream:
        """Ask Ana ``query`` and stream the answer.

        Use as ``async with client.ana.stream(query) as stream:``. A number as
        ``timeout`` bounds the whole stream (``Timeout(total=...)``). Invalid
        arguments raise ``ValueError`` here, before any request. The request is
        retried only before any event arrived: an answer that started is never
        asked twice. With ``coalesce=True``, ``async for`` yields only the newest
        version of each block among those already buffered (for slow consumers); the
        versions it skips are read as JSON (a syntax error still raises) but never decoded
        into blocks, so a skipped version with a wrongly typed field is not an error.
        """
        params = ana_params(
            query,
            dataset=dataset,
            use_ontology=use_ontology,
            ontology_connector_id=ontology_connector_id,
            clifford=clifford,
        )
        transport = self._transport
        t = as_timeout(timeout) if timeout is not None else transport.settings.timeout

        # a partial, not a closure: no cells, and no coroutine level of its own per stream
        opener = functools.partial(
            transport.open,
            "GET",
            "/api/ana",
            params=params,
            headers=_SSE_ACCEPT,
            auth="ana",
            timeout=t,
            max_retries=max_retries,
            idempotent=True,
            stream=True,
            header_timeout=t.idle,
            content_type="text/event-stream",
            **options,
        )

        return AnaStream(
            opener,
            timeout=t,
            max_event_size=max_event_size,
            coalesce=coalesce,
            registry=transport,
            telemetry=transport.telemetry,
        )

    @records_itself
    async def ask(
        self,
        query: str,
        *,
        dataset: str | None = None,
        use_ontology: bool = False,
        ontology_connector_id: int | None = None,
        clifford: bool = False,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        recover: bool = True,
        recover_timeout: float = 120.0,
        recover_stable_for: float | None = None,
        **options: Unpack[RequestOptions],
    ) -> AnaResult:
        """Ask Ana ``query`` and return the finished answer.

        ``print((await client.ana.ask("Which store is the largest?")).answer)``

        ``timeout`` is a :class:`~textql_async.Timeout` or a number of seconds that
        bounds the whole call (``timeout=0.5``: an :class:`~textql_async.APITimeoutError`
        after about half a second, whatever the server does).

        With ``recover`` (the default), an answer whose stream broke after its
        chat id arrived (connection reset, truncated body, idle timeout) is
        finished from the chat history with :meth:`recover` (same rule, same
        ``recover_timeout`` and ``recover_stable_for``); the result then has
        ``recovered=True``. When recovery is off or finds no proof that the answer
        ended, the original :class:`~textql_async.StreamError` (or
        :class:`~textql_async.APITimeoutError`) is raised, its ``snapshot`` holding
        every block received merged with the newest history body (and its
        ``__context__`` the :class:`~textql_async.RecoveryTimeoutError` saying why).
        """
        # the operation's telemetry in this frame, not in a wrapping coroutine, and final()
        # opens the stream itself (no ``async with`` level): fewer frames resumed per wait
        with Operation(self._transport.telemetry, "ana.ask") as op:
            stable_for = check_recovery_arguments(recover_timeout, recover_stable_for)
            stream = self.stream(
                query,
                dataset=dataset,
                use_ontology=use_ontology,
                ontology_connector_id=ontology_connector_id,
                clifford=clifford,
                timeout=timeout,
                max_retries=max_retries,
                **options,
            )
            try:
                try:
                    # opened here, then read: the frames between this one and aiohttp at
                    # each wait for the headers are the reader's and the transport's only
                    await stream._open()
                    result = await stream.final()
                finally:
                    stream.close()
            except (StreamError, APITimeoutError) as exc:
                snapshot = exc.snapshot
                if not (recover and exc.recoverable and snapshot is not None and snapshot.chat_id):
                    raise
                if self._transport.closed:
                    raise
                total = stream.remaining_time()
                budget = recover_timeout if total is None else min(recover_timeout, total)
                try:
                    result = await recover_answer(
                        self._fetcher(options),
                        snapshot.chat_id,
                        snapshot,
                        timeout=budget,
                        stable_for=stable_for,
                    )
                except RecoveryTimeoutError as failed:
                    # the original error (its __cause__ kept; __context__ is ``failed``, with
                    # the reason) now carries the best state known, never less than streamed
                    exc.snapshot = failed.snapshot
                    raise exc  # noqa: B904
                except (AuthenticationError, PermissionDeniedError, NotFoundError):
                    raise exc from None
        return op.done(result)

    async def recover(
        self,
        chat_id: str,
        *,
        snapshot: Snapshot | None = None,
        timeout: float = 120.0,
        stable_for: float | None = None,
        **options: Unpack[RequestOptions],
    ) -> AnaResult:
        """Finish an answer from the chat history alone, never asking Ana again.

        ``result = await client.ana.recover(chat_id, snapshot=error.snapshot)``

        ``snapshot`` is what a broken stream delivered (the lower bound; ``None`` when
        only the chat id is known). ``GET /api/ana/{chat_id}`` is polled with backoff
        for up to ``timeout`` seconds until the completion rule is met (see
        :func:`~textql_async.decide_completion`: nothing shorter than the stream, no
        running Python cell or Ontology query, a later message in the chat or the body
        unchanged for ``stable_for`` seconds, default
        :data:`~textql_async.DEFAULT_RECOVER_STABLE_FOR`). Returns an
        :class:`AnaResult` with ``recovered=True``; raises
        :class:`~textql_async.RecoveryTimeoutError` (``.snapshot``: the stream's
        snapshot merged with the newest history body) when no proof came in time,
        and the API error itself for 401, 403 or a missing chat (404).
        """
        require_text("chat_id", chat_id)
        window = check_recovery_arguments(timeout, stable_for)
        if snapshot is None:
            snapshot = Snapshot(chat_id=chat_id)
        elif snapshot.chat_id is None:
            snapshot = msgspec.structs.replace(snapshot, chat_id=chat_id)
        elif snapshot.chat_id != chat_id:
            raise ValueError(
                f"snapshot belongs to chat {snapshot.chat_id!r}, not to {chat_id!r}"
            )
        return await recover_answer(
            self._fetcher(options), chat_id, snapshot, timeout=float(timeout), stable_for=window
        )

    def _fetcher(
        self, options: RequestOptions
    ) -> Callable[[str], Coroutine[Any, Any, list[ChatMessage]]]:
        """The history poll of recovery, with the call's request options."""

        async def fetch(chat_id: str) -> list[ChatMessage]:
            return await self.chat_messages(chat_id, max_retries=0, **options)

        return fetch

    def batch(
        self,
        queries: Iterable[Query],
        *,
        concurrency: int = 8,
        rate: float | None = None,
        ordered: bool = False,
        progress: Progress | None = None,
        dataset: str | None = None,
        use_ontology: bool = False,
        ontology_connector_id: int | None = None,
        clifford: bool = False,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        recover: bool = True,
        recover_timeout: float = 120.0,
        recover_stable_for: float | None = None,
    ) -> AsyncGenerator[BatchItem, None]:
        """Ask many questions at once; yields a :class:`BatchItem` per answer as each completes.

        ``async for item in client.ana.batch(questions, concurrency=16): print(item.index, item.ok)``

        At most ``concurrency`` streams are open; ``rate`` caps starts per second;
        ``ordered=True`` yields in input order. A failed question is an item with
        ``error`` set and never cancels the others; leaving the loop cancels every
        question still running. Queries are strings or dicts of :meth:`ask` arguments;
        they are all checked here, so an invalid one raises before any request.
        ``dataset`` ... ``recover_stable_for`` are :meth:`ask` 's arguments, the defaults of
        every question (a question's dict overrides them).

        Each item is a :class:`~textql_async.BatchAnswer` or a
        :class:`~textql_async.BatchFailure`: ``if item.ok: item.result.answer`` type-checks.
        """
        ask_kwargs = {
            "dataset": dataset,
            "use_ontology": use_ontology,
            "ontology_connector_id": ontology_connector_id,
            "clifford": clifford,
            "timeout": timeout,
            "max_retries": max_retries,
            "recover": recover,
            "recover_timeout": recover_timeout,
            "recover_stable_for": recover_stable_for,
        }
        return run_batch(
            self.ask,
            queries,
            concurrency=concurrency,
            rate=rate,
            ordered=ordered,
            progress=progress,
            ask_kwargs=ask_kwargs,
            validate=_check_ask_arguments,
        )

    async def chat_summaries(
        self,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> list[ChatSummary]:
        """Every chat with its title and the time of its last user message.

        ``titles = [c.inner_val.summary for c in await client.ana.chat_summaries()]``
        """
        response = await self._transport.request(
            "GET",
            "/api/ana/chat/summary",
            auth="ana",
            timeout=as_timeout(timeout) if timeout is not None else None,
            max_retries=max_retries,
            **options,
        )
        return decode_response(response, decode_chat_summaries)

    async def chat_messages(
        self,
        chat_id: str,
        *,
        timeout: Timeout | float | None = None,
        max_retries: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> list[ChatMessage]:
        """The messages of one chat, oldest first, each with its blocks.

        ``for m in await client.ana.chat_messages(chat_id): print(m.author.tag, m.body)``
        """
        require_text("chat_id", chat_id)
        response = await self._transport.request(
            "GET",
            "/api/ana/" + quote(chat_id, safe=""),
            auth="ana",
            timeout=as_timeout(timeout) if timeout is not None else None,
            max_retries=max_retries,
            **options,
        )
        return decode_response(response, decode_chat_messages)


def _check_ask_arguments(call: Mapping[str, Any]) -> None:
    """Validate one batch question's ``ask()`` arguments before any request is sent."""
    ana_params(
        call["query"],
        dataset=call.get("dataset"),
        use_ontology=call.get("use_ontology", False),
        ontology_connector_id=call.get("ontology_connector_id"),
        clifford=call.get("clifford", False),
    )
    check_recovery_arguments(call.get("recover_timeout", 120.0), call.get("recover_stable_for"))


def ana_params(
    query: str,
    *,
    dataset: str | None,
    use_ontology: bool,
    ontology_connector_id: int | None,
    clifford: bool,
) -> dict[str, str]:
    """Validated query parameters of ``GET /api/ana``, in the wire's names and forms
    (strings already: the transport sends them without a conversion per parameter)."""
    require_text("query", query)
    if dataset is not None:
        require_text("dataset", dataset)
    if ontology_connector_id is not None:
        if isinstance(ontology_connector_id, bool) or not isinstance(ontology_connector_id, int):
            raise TypeError("ontology_connector_id must be an int")
        if ontology_connector_id < 0:
            raise ValueError("ontology_connector_id must not be negative")
    if use_ontology and ontology_connector_id is None:
        raise ValueError("use_ontology=True requires ontology_connector_id")
    params = {"query": query}
    if dataset is not None:
        params["dataset"] = dataset
    params["useOntology"] = "true" if use_ontology else "false"
    if ontology_connector_id is not None:
        params["ontologyConnectorId"] = str(ontology_connector_id)
    params["clifford"] = "true" if clifford else "false"
    return params
