"""The fake's Ana routes: ``GET /api/ana`` (the SSE answer), the chat summaries and history.

Kept apart from :class:`FakeTextQL` (set-up, fault injection, recording, auth) so the
server class stays about serving; these handlers own what only Ana needs: the scripted
answer rules, the running streams and when each question arrived. The fake's public
counters (``asks``, ``peak_streams``) and its settings (delay, chunking, history mode)
stay on the fake, where tests read and change them.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from textql_async.testing._answers import block_id, default_answer
from textql_async.testing._faults import DropAfter, Fault, Stall, Truncate
from textql_async.testing._rules import (
    AnswerRule,
    FaultQueue,
    json_error,
    validate_ana_query,
)
from textql_async.testing._store import StoredChat, StreamRecorder, check_history_mode
from textql_async.testing._stream import StreamPlan, write_stream

if TYPE_CHECKING:
    from textql_async.testing._server import FakeTextQL

__all__ = ["AnaRoutes"]

_STREAM_FAULTS = (DropAfter, Stall, Truncate)


class AnaRoutes:
    """``/api/ana`` and its chat routes for one :class:`FakeTextQL` (its default auth)."""

    def __init__(self, fake: FakeTextQL, faults: FaultQueue) -> None:
        """Serve for ``fake``, taking stream faults from its queue."""
        self._fake = fake
        self._faults = faults
        self.rules: list[AnswerRule] = []
        """The scripted answers, oldest first (the newest matching rule wins)."""
        self.stream_tasks: set[asyncio.Task[Any]] = set()
        """The ``/api/ana`` handlers streaming right now."""
        self.ask_times: list[float] = []
        """When each accepted question arrived (``time.monotonic``)."""
        self.closing = asyncio.Event()
        """Set when the fake closes: running streams stop writing."""
        self._chat_counter = 0

    def add_routes(self, app: web.Application) -> None:
        """Register the Ana routes on ``app``."""
        app.router.add_get("/api/ana", self._handle_ana)
        app.router.add_get("/api/ana/chat/summary", self._handle_summary)
        app.router.add_get("/api/ana/{chat_id}", self._handle_chat)

    async def _handle_summary(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self._fake.store.summaries_json())

    async def _handle_chat(self, request: web.Request) -> web.StreamResponse:
        chat = self._fake.store.get(request.match_info["chat_id"])
        if chat is None:
            return json_error(404, "not_found", "chat not found")
        if chat.fails_read():
            return json_error(503, "unavailable", "the chat history is briefly unavailable")
        return web.json_response(chat.messages_json())

    def _rule(self, question: str) -> AnswerRule | None:
        return next((a for a in reversed(self.rules) if a.matches(question)), None)

    def _plan(
        self, question: str, chat: StoredChat, rule: AnswerRule | None, fault: Fault | None
    ) -> StreamPlan:
        fake = self._fake
        if rule is not None:
            delay, chunk = rule.event_delay, rule.chunk_size
            return StreamPlan(
                rule.script(question),
                fake.event_delay if delay is None else delay,
                fake.chunk_size if chunk is None else chunk,
                fault,
            )
        events = default_answer(
            question,
            chat_id=chat.chat_id,
            user_msg_id=chat.user_msg_id,
            assistant_msg_id=chat.assistant_msg_id,
        )
        return StreamPlan(events, fake.event_delay, fake.chunk_size, fault)

    def _new_chat(self, question: str) -> StoredChat:
        fake = self._fake
        self._chat_counter += 1
        digest = hashlib.sha256(f"chat\x00{question}\x00{self._chat_counter}".encode()).hexdigest()
        user_msg_id, assistant_msg_id = fake.store.new_message_ids()
        chat_id = f"fake-chat-{digest[:18]}"
        return StoredChat(
            chat_id=chat_id,
            question=question,
            member_id=fake.member_id,
            user_msg_id=user_msg_id,
            assistant_msg_id=assistant_msg_id,
            question_block_id=block_id(chat_id, -1),
            history=check_history_mode(fake.history),
        )

    async def _handle_ana(self, request: web.Request) -> web.StreamResponse:
        invalid = validate_ana_query(request.query)
        if invalid is not None:
            return invalid
        fake = self._fake
        store = fake.store
        question = request.query["query"]
        fake.asks[question] += 1
        self.ask_times.append(time.monotonic())
        chat = self._new_chat(question)
        store.save(chat)
        fault = self._faults.take(request.path, _STREAM_FAULTS, question)
        rule = self._rule(question)
        plan = self._plan(question, chat, rule, fault)
        after = fake.answer_completes_after
        if rule is not None:
            mode = rule.history_for(question)
            if mode is not None:
                chat.history = check_history_mode(mode)
            rule_after = rule.completes_after_for(question)
            if rule_after is not None:
                after = rule_after
        completes_at = time.monotonic() + after
        if fault is not None:  # the stream will be cut, Ana's answer lands in the history
            store.complete_at(chat, plan.events, completes_at)
        task = asyncio.current_task()
        assert task is not None
        self.stream_tasks.add(task)
        fake.peak_streams = max(fake.peak_streams, len(self.stream_tasks))
        on_event = StreamRecorder(store, chat)

        resp = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        try:
            await resp.prepare(request)
            await write_stream(request, resp, plan, closing=self.closing, on_event=on_event)
        except ConnectionError:
            pass  # the client went away mid-stream
        finally:
            self.stream_tasks.discard(task)
            if on_event.written < len(plan.events):  # cut short: Ana still finishes server-side
                when = max(completes_at, time.monotonic())
                store.complete_at(chat, plan.events, when)
        return resp
