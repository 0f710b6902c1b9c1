"""Reading and checking a v2 chat request (JSON or multipart), as ``POST /v2/chats`` does."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from textql_async.testing._families import invalid

__all__ = ["MAX_FILES", "ChatArgs", "ReceivedChatRequest", "read_chat_request"]

MAX_FILES = 10
_TOOL_FLAGS = (
    "sql_enabled",
    "python_enabled",
    "web_search_enabled",
    "ontology_enabled",
    "tableau_enabled",
    "powerbi_enabled",
    "google_drive_enabled",
)


@dataclass(frozen=True)
class ReceivedChatRequest:
    """A chat request body as it arrived (``fake.v2.received``), to assert what was sent.

    ``json`` is the decoded JSON body (``None`` for a multipart form); ``fields`` the
    form's text fields (repeated ones in order) and ``files`` its ``(filename, content)``
    uploads.
    """

    path: str
    content_type: str
    json: Any = None
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass(frozen=True)
class ChatArgs:
    """A valid chat request: what the handlers act on."""

    question: str
    chat_id: str | None
    model: str | None
    connector_ids: list[int]


def _int_list(value: Any, name: str) -> list[int] | web.Response:
    if value is None:
        return []
    if not isinstance(value, list) or any(
        isinstance(v, bool) or not isinstance(v, int) for v in value
    ):
        return invalid(f"{name} must be an array of integers")
    return list(value)


def _optional_text(body: dict[str, Any], name: str) -> str | web.Response | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        return invalid(f"{name} must be a non-empty string")
    return value


def _check_json(body: Any) -> ChatArgs | web.Response:
    if not isinstance(body, dict):
        return invalid("the request body must be a JSON object")
    question = body.get("question")
    if not isinstance(question, str) or not question.strip():
        return invalid("question is required")
    chat_id = _optional_text(body, "chat_id")
    if isinstance(chat_id, web.Response):
        return chat_id
    model = _optional_text(body, "model")
    if isinstance(model, web.Response):
        return model
    ids = _int_list(body.get("connector_ids"), "connector_ids")
    if isinstance(ids, web.Response):
        return ids
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, dict):
            return invalid("tools must be an object")
        for flag in _TOOL_FLAGS:
            if tools.get(flag) is not None and not isinstance(tools[flag], bool):
                return invalid(f"tools.{flag} must be a boolean")
        tool_ids = _int_list(tools.get("connector_ids"), "tools.connector_ids")
        if isinstance(tool_ids, web.Response):
            return tool_ids
        ids = ids or tool_ids
    return ChatArgs(question, chat_id, model, ids)


def _check_form(fields: dict[str, list[str]], files: int) -> ChatArgs | web.Response:
    question = (fields.get("question") or [""])[0]
    if not question.strip():
        return invalid("question is required")
    if files > MAX_FILES:
        return invalid(f"at most {MAX_FILES} files may be uploaded")
    try:
        ids = [int(v) for v in fields.get("connector_ids", [])]
    except ValueError:
        return invalid("connector_ids must be integers")
    chat_id = (fields.get("chat_id") or [""])[0] or None
    model = (fields.get("model") or [""])[0] or None
    return ChatArgs(question, chat_id, model, ids)


async def read_chat_request(
    request: web.Request,
) -> tuple[ReceivedChatRequest, ChatArgs | web.Response]:
    """The request as received, and its arguments or the 400 the service would answer."""
    content_type = request.content_type
    if content_type == "multipart/form-data":
        fields: dict[str, list[str]] = {}
        files: list[tuple[str, bytes]] = []
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            if part.filename is not None:
                files.append((part.filename, bytes(await part.read())))
            elif part.name:
                fields.setdefault(part.name, []).append(await part.text())
        received = ReceivedChatRequest(request.path, content_type, None, fields, files)
        return received, _check_form(fields, len(files))
    raw = await request.read()
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        return ReceivedChatRequest(request.path, content_type), invalid("invalid JSON body")
    received = ReceivedChatRequest(request.path, content_type, body)
    if content_type != "application/json":
        return received, invalid("the body must be application/json or multipart/form-data")
    return received, _check_json(body)
