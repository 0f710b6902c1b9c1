"""The v2 chat API on the fake (Bearer auth): ``/v2/chats*`` and ``/v2/models``.

It behaves like the service: what ``POST /v2/chats`` (or ``/stream``) creates can be
listed, read back with its messages, cells and assets, continued with ``chat_id``
and cancelled while it runs. Tests script answers with :meth:`V2Routes.add_answer`
(a failed answer, extra or unknown events, a cell with odd values, a dropped
connection, pacing) and assert on ``received`` (the request bodies) and ``cancels``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from textql_async.testing._families import BearerFamily, invalid, with_extra_fields
from textql_async.testing._rules import Matcher, json_error
from textql_async.testing._v2_answers import (
    DEFAULT_MODELS,
    StreamItem,
    V2AnswerRule,
    build_turn,
    response_json,
    sse_data,
    stream_events,
)
from textql_async.testing._v2_requests import ChatArgs, ReceivedChatRequest, read_chat_request
from textql_async.testing._v2_store import SortKey, V2Chat, V2Store, V2Turn

if TYPE_CHECKING:
    from textql_async.testing._server import FakeTextQL

__all__ = ["CancelCall", "V2Routes"]

_SORT_KEYS: tuple[SortKey, ...] = ("name", "created_at", "updated_at")
_CANCELLED = {"type": "done", "status": "failed", "error": "the chat was cancelled"}


@dataclass(frozen=True)
class CancelCall:
    """One ``POST /v2/chats/{id}/cancel`` the fake answered, and what it answered."""

    chat_id: str
    cancelled: bool


@dataclass
class _Started:
    chat: V2Chat
    turn: V2Turn
    deltas: list[str]
    rule: V2AnswerRule | None
    continuation: bool


class V2Routes(BearerFamily):
    """The v2 chat API (``fake.v2``): an in-memory chat store and scripted answers.

    - ``models``: what ``GET /v2/models`` lists (a mutable copy of ``DEFAULT_MODELS``;
      exactly one ``default``). A ``model`` not in it is refused with 403.
    - ``received``: every chat request body (``POST /v2/chats`` and ``/stream``).
    - ``cancels``: every cancel call, with whether something was running.
    - ``extra_fields``: added to every JSON object the chat routes return, stream
      events included, to check that clients ignore fields they do not know.
    """

    prefix = "/v2/"

    def __init__(self, fake: FakeTextQL) -> None:
        """Attach to ``fake`` (which serves the routes and holds the API key)."""
        self.fake = fake
        self.store = V2Store()
        self.models: list[dict[str, Any]] = [dict(m) for m in DEFAULT_MODELS]
        self.received: list[ReceivedChatRequest] = []
        self.cancels: list[CancelCall] = []
        self.extra_fields: dict[str, Any] = {}
        self._rules: list[V2AnswerRule] = []
        self._streams: set[asyncio.Task[Any]] = set()

    # -- scripting -------------------------------------------------------------------------

    def add_answer(
        self,
        match: Matcher,
        *,
        text: str | Sequence[str] | None = None,
        error: str | None = None,
        cell: Mapping[str, Any] | None = None,
        events: Sequence[StreamItem] = (),
        drop_after: int | None = None,
        event_delay: float | None = None,
    ) -> None:
        """Script the answer to the v2 questions ``match`` accepts (later additions win).

        ``text``: the answer (a sequence is sent as those text deltas). ``error``: the
        answer fails (``done`` with ``status: failed`` and this error; ``POST /v2/chats``
        answers 500 ``execution_failed``). ``cell``: merged into the step cell as it
        finishes (e.g. ``{"status": "exploded", "execution_time_ms": "12"}``). ``events``:
        sent before the assets and ``done``: JSON objects (unknown ``type`` s...) or raw
        ``bytes`` frames. ``drop_after``: the stream's connection is closed after that many
        events (Ana still finishes server-side). ``event_delay``: seconds before each event
        (a synchronous answer waits for all of them).
        """
        self._rules.append(V2AnswerRule(match, text, error, cell, events, drop_after, event_delay))

    def add_chat(
        self,
        question: str,
        *follow_ups: str,
        model: str | None = None,
        connector_ids: Sequence[int] = (),
    ) -> str:
        """Store an answered chat (one turn per question) without a request; returns its id."""
        chat: V2Chat | None = None
        for asked in (question, *follow_ups):
            turn, _ = build_turn(
                asked,
                model=chat.model if chat else model or self.default_model,
                connector_ids=list(connector_ids),
                rule=self._rule(asked),
            )
            turn.finish()
            if chat is None:
                chat = V2Chat(str(uuid.uuid4()), turn.model, turn.created_at)
                self.store.add(chat)
            chat.add(turn)
        assert chat is not None
        return chat.id

    @property
    def default_model(self) -> str:
        """The id of the model a new chat runs on when none is given."""
        for model in self.models:
            if model.get("default"):
                return str(model["id"])
        return str(self.models[0]["id"]) if self.models else "default"

    @property
    def active_streams(self) -> int:
        """``/v2/chats/stream`` handlers running right now."""
        return len(self._streams)

    def _rule(self, question: str) -> V2AnswerRule | None:
        return next((r for r in reversed(self._rules) if r.matches(question)), None)

    # -- family protocol -------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        """Register the chat and model handlers."""
        app.router.add_get("/v2/models", self._models)
        app.router.add_get("/v2/chats", self._list)
        app.router.add_post("/v2/chats", self._create)
        app.router.add_post("/v2/chats/stream", self._stream)
        app.router.add_get("/v2/chats/{chat_id}", self._get)
        app.router.add_get("/v2/chats/{chat_id}/cells", self._cells)
        app.router.add_get("/v2/chats/{chat_id}/cells/{cell_id}", self._cell)
        app.router.add_post("/v2/chats/{chat_id}/cancel", self._cancel)

    # -- handlers --------------------------------------------------------------------------

    def _json(self, body: Any) -> web.Response:
        return web.json_response(with_extra_fields(body, self.extra_fields))

    async def _models(self, request: web.Request) -> web.StreamResponse:
        return self._json({"models": self.models})

    def _start(self, args: ChatArgs) -> _Started | web.Response:
        """Check the request as the service does, then record the new turn."""
        chat: V2Chat | None = None
        if args.chat_id is not None:
            if args.model is not None:
                return invalid("model can only be set on a new chat")
            chat = self.store.get(args.chat_id)
            if chat is None:
                return json_error(404, "not_found", "chat not found")
        elif args.model is not None and all(m.get("id") != args.model for m in self.models):
            return json_error(
                403, "permission_denied", f"model {args.model!r} is not allowed for this caller"
            )
        model = chat.model if chat is not None else args.model or self.default_model
        rule = self._rule(args.question)
        turn, deltas = build_turn(
            args.question, model=model, connector_ids=args.connector_ids, rule=rule
        )
        continuation = chat is not None
        if chat is None:
            chat = V2Chat(str(uuid.uuid4()), model, turn.created_at)
            self.store.add(chat)
        chat.add(turn)
        return _Started(chat, turn, deltas, rule, continuation)

    async def _begin(self, request: web.Request) -> _Started | web.Response:
        received, args = await read_chat_request(request)
        self.received.append(received)
        return args if isinstance(args, web.Response) else self._start(args)

    def _delay(self, rule: V2AnswerRule | None) -> float:
        if rule is not None and rule.event_delay is not None:
            return rule.event_delay
        return self.fake.event_delay

    async def _create(self, request: web.Request) -> web.StreamResponse:
        started = await self._begin(request)
        if isinstance(started, web.Response):
            return started
        turn = started.turn
        events = stream_events(turn, started.deltas, chat_id=started.chat.id, continuation=False)
        wait = self._delay(started.rule) * len(events)
        if wait > 0:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(turn.cancel_requested.wait(), wait)
        if turn.state == "cancelled":
            return json_error(500, "cancelled", "the chat was cancelled")
        turn.finish()
        if turn.error is not None:
            return json_error(500, "execution_failed", turn.error)
        return self._json(response_json(turn, started.chat.id))

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        started = await self._begin(request)
        if isinstance(started, web.Response):
            return started
        turn, rule = started.turn, started.rule
        events = stream_events(
            turn,
            started.deltas,
            chat_id=started.chat.id,
            continuation=started.continuation,
            extra=rule.events if rule is not None else (),
        )
        drop_after = rule.drop_after if rule is not None else None
        delay = self._delay(rule)
        resp = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        task = asyncio.current_task()
        assert task is not None
        self._streams.add(task)
        written = 0
        try:
            await resp.prepare(request)
            for event in events:
                if drop_after is not None and written >= drop_after:
                    if request.transport is not None:
                        request.transport.close()
                    break
                if delay > 0:
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(turn.cancel_requested.wait(), delay)
                if turn.state == "cancelled":
                    await resp.write(sse_data(with_extra_fields(_CANCELLED, self.extra_fields)))
                    break
                await resp.write(sse_data(with_extra_fields(event, self.extra_fields)))
                written += 1
            else:
                turn.finish()
        except ConnectionError:
            pass  # the client went away
        finally:
            self._streams.discard(task)
            if turn.state == "running" and turn.completes_at is None:
                # cut short: like the service, Ana keeps working and finishes server-side
                left = (len(events) - written) * delay
                turn.completes_at = time.monotonic() + max(left, self.fake.answer_completes_after)
        return resp

    async def _list(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        limit = _int_param(query, "limit", 20, 1, 100)
        offset = _int_param(query, "offset", 0, 0, None)
        sort_by = next((k for k in _SORT_KEYS if k == query.get("sort_by", "updated_at")), None)
        direction = query.get("sort_direction", "desc")
        if isinstance(limit, web.Response):
            return limit
        if isinstance(offset, web.Response):
            return offset
        if sort_by is None:
            return invalid("sort_by must be name, created_at or updated_at")
        if direction not in ("asc", "desc"):
            return invalid("sort_direction must be asc or desc")
        chats = self.store.query(
            search_term=query.get("search_term"),
            sort_by=sort_by,
            descending=direction == "desc",
        )
        page = chats[offset : offset + limit]
        return self._json({"chats": [c.summary_json() for c in page], "total_count": len(chats)})

    def _chat(self, request: web.Request) -> V2Chat | web.Response:
        chat = self.store.get(request.match_info["chat_id"])
        return chat if chat is not None else json_error(404, "not_found", "chat not found")

    async def _get(self, request: web.Request) -> web.StreamResponse:
        chat = self._chat(request)
        return chat if isinstance(chat, web.Response) else self._json(chat.thread_json())

    async def _cells(self, request: web.Request) -> web.StreamResponse:
        chat = self._chat(request)
        if isinstance(chat, web.Response):
            return chat
        limit = _int_param(request.query, "limit", 200, None, None)
        offset = _int_param(request.query, "offset", 0, 0, None)
        if isinstance(limit, web.Response):
            return limit
        if isinstance(offset, web.Response):
            return offset
        if not 1 <= limit <= 500:
            limit = 200  # as documented: out-of-range values fall back to the default
        cells, has_more = chat.cells_page(limit, offset)
        return self._json({"chat_id": chat.id, "cells": cells, "has_more": has_more})

    async def _cell(self, request: web.Request) -> web.StreamResponse:
        chat = self._chat(request)
        if isinstance(chat, web.Response):
            return chat
        cell_id = request.match_info["cell_id"]
        cell = next((c for c in chat.cells() if c.get("id") == cell_id), None)
        if cell is None:
            return json_error(404, "not_found", "cell not found")
        return self._json(cell)

    async def _cancel(self, request: web.Request) -> web.StreamResponse:
        chat = self._chat(request)
        if isinstance(chat, web.Response):
            return chat
        cancelled = False
        for turn in chat.turns:
            cancelled = turn.cancel() or cancelled
        self.cancels.append(CancelCall(chat.id, cancelled))
        return self._json({"cancelled": cancelled})


def _int_param(
    query: Mapping[str, str], name: str, default: int, low: int | None, high: int | None
) -> int | web.Response:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        return invalid(f"{name} must be an integer")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        return invalid(f"{name} must be {bounds}")
    return value
