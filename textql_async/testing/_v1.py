"""The v1 Connect-RPC chat API (Bearer auth and ``Connect-Protocol-Version: 1``).

Behaves like a connect-go server: POST-only JSON procedures, the protocol header
required (``invalid_argument`` without it, with connect-go's message), errors as
``{"code", "message"}`` with the HTTP status of their code, and proto3 JSON (camelCase,
fields holding their default value left out). The store starts with five chats; one
of them (``V1Routes.FUTURE_CHAT_ID``) carries ``model: "MODEL_FUTURE_X"``, a value
newer than the spec, on purpose. Chats asked through ``/api/ana`` are listed too.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import msgspec
from aiohttp import web

from textql_async.testing._families import bearer_token
from textql_async.testing._store import StoredChat, iso_timestamp
from textql_async.testing._v1_seed import V1StoredChat, seed_chats

if TYPE_CHECKING:
    from textql_async.testing._server import FakeTextQL

__all__ = ["V1Routes", "connect_error"]

#: the HTTP status connect-go sends for each Connect code
CONNECT_STATUS = {
    "canceled": 499,
    "unknown": 500,
    "invalid_argument": 400,
    "deadline_exceeded": 504,
    "not_found": 404,
    "already_exists": 409,
    "permission_denied": 403,
    "resource_exhausted": 429,
    "failed_precondition": 400,
    "aborted": 409,
    "out_of_range": 400,
    "unimplemented": 501,
    "internal": 500,
    "unavailable": 503,
    "data_loss": 500,
    "unauthenticated": 401,
}
_DEFAULT_LIMIT = 20
_MAX_LIMIT = 100
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def connect_error(code: str, message: str) -> web.Response:
    """A Connect error response: ``{"code", "message"}`` with the status connect-go uses."""
    return web.json_response({"code": code, "message": message}, status=CONNECT_STATUS[code])


class _BadRequest(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class V1Routes:
    """The v1 Connect-RPC chat API: ``/v1/chat``, ``/v1/chat/get``, ``/v1/chat/list``, ``/v1/chat/cancel``."""

    prefix = "/v1/"
    FUTURE_CHAT_ID = "5d1c7a9e-0003-4a6b-9c1f-3e2d4b5a6c03"

    def __init__(self, fake: FakeTextQL) -> None:
        self.fake = fake
        self.chats: dict[str, V1StoredChat] = {}
        """The v1 store, by chat id (seeded; ``POST /v1/chat`` adds to it)."""
        self.bodies: list[tuple[str, dict[str, Any]]] = []
        """``(path, decoded JSON body)`` of every v1 request that got past auth."""
        self.numbers_as_strings = False
        """Send ``totalCount`` and ``paradigm.version`` as JSON strings (as proto3 does for int64)."""
        self.cancelled: list[str] = []
        """Chat ids ``/v1/chat/cancel`` was called for."""
        for chat in seed_chats(fake.member_id, fake.store.org_id):
            self.add_chat(chat.chat, chat.messages, chat.assets)

    def add_chat(
        self,
        chat: dict[str, Any],
        messages: list[dict[str, Any]] | None = None,
        assets: list[dict[str, Any]] | None = None,
    ) -> V1StoredChat:
        """Store a chat given as its v1 JSON (``id`` required), e.g. one made through v2."""
        stored = V1StoredChat(dict(chat), list(messages or ()), list(assets or ()))
        self.chats[str(chat["id"])] = stored
        return stored

    def add_routes(self, app: web.Application) -> None:
        """Register this family's handlers (POST only, as Connect unary calls)."""
        app.router.add_post("/v1/chat", self._handle_chat)
        app.router.add_post("/v1/chat/get", self._handle_get)
        app.router.add_post("/v1/chat/list", self._handle_list)
        app.router.add_post("/v1/chat/cancel", self._handle_cancel)

    def authorize(self, request: web.Request) -> web.StreamResponse | None:
        """Require ``Connect-Protocol-Version: 1`` (checked first, as connect-go does) and Bearer."""
        version = request.headers.get("Connect-Protocol-Version")
        if version is None:
            return connect_error(
                "invalid_argument",
                'missing required header: set Connect-Protocol-Version to "1"',
            )
        if version != "1":
            return connect_error(
                "invalid_argument", f'Connect-Protocol-Version must be "1": got "{version}"'
            )
        timeout = request.headers.get("Connect-Timeout-Ms")
        if timeout is not None and not (timeout.isdigit() and len(timeout) <= 10):
            return connect_error("invalid_argument", f"protocol error: invalid timeout {timeout!r}")
        if bearer_token(request) != self.fake.api_key:
            return connect_error("unauthenticated", "missing or invalid API key")
        return None

    # -- store views -------------------------------------------------------------------------

    def all_chats(self) -> list[V1StoredChat]:
        """Every chat the API shows: the v1 store plus the chats asked through ``/api/ana``."""
        chats = dict(self.chats)
        for ana in self.fake.store.all():
            chats.setdefault(ana.chat_id, _from_ana(ana, self.fake.store.org_id))
        return list(chats.values())

    def _render_chat(self, chat: dict[str, Any]) -> dict[str, Any]:
        if self.numbers_as_strings and isinstance(chat.get("paradigm"), dict):
            paradigm = chat["paradigm"]
            if "version" in paradigm:
                return {**chat, "paradigm": {**paradigm, "version": str(paradigm["version"])}}
        return chat

    # -- handlers ----------------------------------------------------------------------------

    async def _body(self, request: web.Request) -> dict[str, Any]:
        if request.content_type != "application/json":
            raise web.HTTPUnsupportedMediaType(headers={"Accept-Post": "application/json"})
        raw = await request.read()
        try:
            body = msgspec.json.decode(raw) if raw else None
        except msgspec.DecodeError as exc:
            raise _BadRequest(f"unmarshal into message: {exc}") from None
        if not isinstance(body, dict):
            raise _BadRequest("unmarshal into message: the body must be a JSON object")
        self.bodies.append((request.path, body))
        return body

    async def _handle_get(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await self._body(request)
            chat_id = _string(body, "chatId")
        except _BadRequest as exc:
            return connect_error("invalid_argument", exc.message)
        if not chat_id:
            return connect_error("invalid_argument", "chat_id is required")
        found = next((c for c in self.all_chats() if c.chat["id"] == chat_id), None)
        if found is None:
            return connect_error("not_found", f"chat {chat_id} not found")
        answer: dict[str, Any] = {"chat": self._render_chat(found.chat)}
        if found.messages:
            answer["messages"] = found.messages
        if found.assets:
            answer["assets"] = found.assets
        return web.json_response(answer)

    async def _handle_list(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await self._body(request)
            member_only = _bool(body, "memberOnly")
            term = _string(body, "searchTerm").lower()
            limit = _int(body, "limit", 0, 2**31 - 1) or _DEFAULT_LIMIT
            offset = _int(body, "offset", 0, 2**31 - 1)
            sort_by = _int(body, "sortBy", 0, 3)
            direction = _int(body, "sortDirection", 0, 2)
        except _BadRequest as exc:
            return connect_error("invalid_argument", exc.message)
        chats = [c.chat for c in self.all_chats()]
        if member_only:
            chats = [c for c in chats if c.get("memberId") == self.fake.member_id]
        if term:
            chats = [
                c
                for c in chats
                if term in (c.get("summary") or "").lower()
                or term in (c.get("preview") or "").lower()
            ]
        chats.sort(key=_sort_key(sort_by), reverse=_descending(sort_by, direction))
        total = len(chats)
        window = chats[offset : offset + min(limit, _MAX_LIMIT)]
        answer: dict[str, Any] = {}
        if window:
            answer["chats"] = [self._render_chat(c) for c in window]
        if total:
            answer["totalCount"] = str(total) if self.numbers_as_strings else total
        return web.json_response(answer)

    async def _handle_chat(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await self._body(request)
            question = _string(body, "question")
            chat_id = _string(body, "chatId")
            tools = body.get("tools") or {}
            if not isinstance(tools, dict):
                raise _BadRequest("tools: expected an object")
        except _BadRequest as exc:
            return connect_error("invalid_argument", exc.message)
        if len(question) < 3:
            return connect_error(
                "invalid_argument",
                "validation error:\n - question: value length must be at least 3 characters"
                " [string.min_len]",
            )
        now = iso_timestamp()
        if chat_id:
            stored = self.chats.get(chat_id)
            if stored is None:
                return connect_error("not_found", f"chat {chat_id} not found")
        else:
            stored = self.add_chat(self._new_chat(question, tools, now))
        stored.chat["updatedAt"] = now
        reply = f"Fake answer to: {question}"
        stored.messages += [
            {"role": "user", "content": question, "createdAt": now},
            {"role": "assistant", "content": reply, "createdAt": now},
        ]
        answer = {
            "id": str(uuid.uuid4()),
            "createdAt": now,
            "model": stored.chat.get("model", "MODEL_UNKNOWN"),
            "response": reply,
            "chatId": stored.chat["id"],
        }
        return web.json_response(answer)

    async def _handle_cancel(self, request: web.Request) -> web.StreamResponse:
        try:
            chat_id = _string(await self._body(request), "chatId")
        except _BadRequest as exc:
            return connect_error("invalid_argument", exc.message)
        self.cancelled.append(chat_id)
        exists = any(c.chat["id"] == chat_id for c in self.all_chats())
        return web.json_response({"exists": True} if exists else {})  # proto3 omits false

    def _new_chat(self, question: str, tools: dict[str, Any], now: str) -> dict[str, Any]:
        universal = {k: v for k, v in tools.items() if k in _UNIVERSAL_TOOLS and v}
        return {
            "id": str(uuid.uuid4()),
            "paradigm": {
                "type": "TYPE_UNIVERSAL",
                "version": 1,
                "options": {"universal": universal},
            },
            "model": "MODEL_DEFAULT",
            "timestamp": now,
            "orgId": self.fake.store.org_id,
            "memberId": self.fake.member_id,
            "summary": question[:80],
            "updatedAt": now,
            "preview": question[:200],
            "source": "CHAT_SOURCE_THREAD",
        }


_UNIVERSAL_TOOLS = frozenset(
    {
        "connectorIds",
        "webSearchEnabled",
        "sqlEnabled",
        "ontologyEnabled",
        "pythonEnabled",
        "autoApproveEnabled",
        "googleDriveEnabled",
        "powerbiEnabled",
    }
)


def _string(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _BadRequest(f"{name}: expected a string, got {value!r}")
    return value


def _bool(body: dict[str, Any], name: str) -> bool:
    value = body.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _BadRequest(f"{name}: expected a boolean, got {value!r}")
    return value


def _int(body: dict[str, Any], name: str, low: int, high: int) -> int:
    """An int32 field (proto3 JSON also accepts a numeric string), within ``[low, high]``."""
    value = body.get(name)
    if value is None:
        return 0
    if isinstance(value, str) and value.lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _BadRequest(f"{name}: expected an integer, got {value!r}")
    if not low <= value <= high:
        raise _BadRequest(
            f"validation error:\n - {name}: value must be in [{low}, {high}], got {value}"
        )
    return value


def _when(value: object) -> datetime:
    if not isinstance(value, str):
        return _EPOCH
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _sort_key(sort_by: int) -> Any:
    if sort_by == 1:
        return lambda c: ((c.get("summary") or "").lower(), c["id"])
    if sort_by == 3:
        return lambda c: (_when(c.get("updatedAt") or c.get("timestamp")), c["id"])
    return lambda c: (_when(c.get("timestamp")), c["id"])


def _descending(sort_by: int, direction: int) -> bool:
    """Explicit direction wins; by default names ascend and dates descend (newest first)."""
    if direction:
        return direction == 2
    return sort_by != 1


def _from_ana(chat: StoredChat, org_id: str) -> V1StoredChat:
    """A chat asked through ``/api/ana``, as the v1 API shows it."""
    messages = [{"role": "user", "content": chat.question, "createdAt": chat.timestamp}]
    if not chat.pending:
        text = "\n\n".join(
            str(b.get("contents", "")) for b in chat.blocks.values() if b.get("tag") == "TextBlock"
        )
        messages.append({"role": "assistant", "content": text, "createdAt": chat.timestamp})
    v1 = {
        "id": chat.chat_id,
        "paradigm": {"type": "TYPE_UNIVERSAL", "version": 1, "options": {"universal": {}}},
        "model": "MODEL_DEFAULT",
        "timestamp": chat.timestamp,
        "orgId": org_id,
        "memberId": chat.member_id,
        "summary": chat.question[:80],
        "updatedAt": chat.timestamp,
        "preview": chat.question[:200],
        "source": "CHAT_SOURCE_THREAD",
    }
    return V1StoredChat(v1, messages)
