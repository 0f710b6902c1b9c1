"""Models of the Ana API (``/api/ana``, chat summaries, chat messages).

Blocks are a msgspec tagged union on ``tag``. msgspec rejects a tag it does not
know, so decoding tries the fast typed union first and only on failure looks
at the envelope: an unknown tag becomes :class:`UnknownBlock` (with the raw
object kept), an unknown :class:`PythonBlock` result becomes
:class:`UnknownResult`. Unknown fields are ignored everywhere.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Union

import msgspec

from textql_async.models._base import Result

__all__ = [
    "AnaResult",
    "Author",
    "Block",
    "ChatMessage",
    "ChatSummary",
    "ChatSummaryValue",
    "ErrorBlock",
    "ImageUrlResult",
    "LastUserMessage",
    "MalformedBlockError",
    "OntologyBlock",
    "OntologyContents",
    "OntologyResult",
    "PythonBlock",
    "PythonResult",
    "TextBlock",
    "TextResult",
    "UnknownBlock",
    "UnknownResult",
    "block_to_builtins",
    "decode_block",
    "decode_chat_messages",
    "decode_chat_summaries",
    "encode_block",
]


# --- Python block results -------------------------------------------------------------------


class TextResult(msgspec.Struct, tag_field="tag", tag=True, frozen=True):
    """Plain-text output of a Python block."""

    contents: str = ""


class ImageUrlResult(msgspec.Struct, tag_field="tag", tag=True, frozen=True):
    """An image a Python block produced. The docs name the URL ``contents``; ``url`` is accepted too."""

    contents: str | None = None
    url: str | None = None

    @property
    def image_url(self) -> str | None:
        """The image's URL, whichever field carried it."""
        return self.url if self.url is not None else self.contents


class UnknownResult(msgspec.Struct, frozen=True):
    """A Python block result whose ``tag`` this SDK version does not know; ``raw`` keeps it whole."""

    tag: str | None
    raw: dict[str, Any]


PythonResult = Union[TextResult, ImageUrlResult, UnknownResult]
"""One output of a Python block: text, an image URL, or ``UnknownResult`` for a kind this version does not know."""
_KnownResult = Union[TextResult, ImageUrlResult]


# --- Ontology block ---------------------------------------------------------------------------


class OntologyResult(msgspec.Struct, rename="camel", frozen=True):
    """Details of an Ontology query's execution; every field is optional."""

    complete: bool | None = None
    connector_id: int | None = None
    query_classification: Any = None
    user_prompt: str | None = None
    segmentation: Any = None
    object: Any = None
    groupings_started: list[Any] | None = None
    groupings_found: list[Any] | None = None
    metrics_query: Any = None
    selected_attributes: list[Any] | None = None
    orders_started: list[Any] | None = None
    orders_found: list[Any] | None = None
    direction_found: str | None = None
    sql_query: str | None = None
    sql_result: Any = None
    preview: Any = None
    oai_output: str | None = msgspec.field(default=None, name="oai_output")


class OntologyContents(msgspec.Struct, frozen=True):
    """What an Ontology block asked (``query``) and how it went (``result``)."""

    query: str | None = None
    result: OntologyResult | None = None


# --- Blocks -----------------------------------------------------------------------------------


class TextBlock(msgspec.Struct, tag_field="tag", tag=True, frozen=True):
    """Text: a reasoning step or the answer. Re-sent with the same id as it grows."""

    id: str | None = None
    contents: str = ""


class PythonBlock(msgspec.Struct, tag_field="tag", tag=True, frozen=True):
    """Python code Ana runs; ``results`` appear once execution completes."""

    id: str | None = None
    contents: str = ""
    results: list[PythonResult] | None = None


class _PythonBlockWire(msgspec.Struct, tag_field="tag", tag="PythonBlock", frozen=True):
    id: str | None = None
    contents: str = ""
    results: list[_KnownResult] | None = None


class OntologyBlock(msgspec.Struct, tag_field="tag", tag=True, frozen=True):
    """Ana querying a connected warehouse through the Ontology tool."""

    id: str | None = None
    contents: OntologyContents | None = None
    tool_call_id: str | None = None


class ErrorBlock(msgspec.Struct, tag_field="tag", tag=True, frozen=True):
    """An error Ana reports inside the answer. The docs' ErrorBlock carries no id."""

    contents: str = ""
    id: str | None = None


class UnknownBlock(msgspec.Struct, frozen=True):
    """A block whose ``tag`` this SDK version does not know; ``raw`` keeps the whole object."""

    tag: str | None
    id: str | None
    raw: dict[str, Any]


Block = Union[TextBlock, PythonBlock, OntologyBlock, ErrorBlock, UnknownBlock]
"""One of Ana's blocks; ``UnknownBlock`` holds a tag this version does not know, so decoding never fails on a new one."""

_KNOWN_BLOCKS: dict[str, type[Any]] = {
    "TextBlock": TextBlock,
    "PythonBlock": PythonBlock,
    "OntologyBlock": OntologyBlock,
    "ErrorBlock": ErrorBlock,
}
_KNOWN_RESULTS: dict[str, type[Any]] = {"TextResult": TextResult, "ImageUrlResult": ImageUrlResult}

# The hot path: one typed decode per block event. PythonBlock decodes through a wire struct
# whose results union has no catch-all, and is converted after (cheap: it is rare).
_FastBlock = Union[TextBlock, _PythonBlockWire, OntologyBlock, ErrorBlock]
_fast_decoder = msgspec.json.Decoder(_FastBlock)
_json_decoder = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder()


class MalformedBlockError(ValueError):
    """A block payload that is not valid JSON, not an object, or breaks a known block's schema."""

    def __init__(self, message: str, raw: str) -> None:
        super().__init__(message)
        self.raw = raw


def decode_block(data: bytes | str) -> Block:
    """Decode one block from its JSON text, never failing on an unknown tag or extra field.

    Raises :class:`MalformedBlockError` for invalid JSON, a non-object, or a
    known tag whose fields have the wrong types.
    """
    try:
        # Annotated so the result is typed on every msgspec: older ones return Any here.
        block: _FastBlock = _fast_decoder.decode(data)
    except msgspec.ValidationError:
        return _decode_block_slow(data)
    except msgspec.DecodeError as exc:
        raise MalformedBlockError(f"block is not valid JSON: {exc}", _as_text(data)) from None
    if isinstance(block, _PythonBlockWire):
        results: list[PythonResult] | None = None if block.results is None else [*block.results]
        return PythonBlock(block.id, block.contents, results)
    return block


def block_from_builtins(obj: object, raw: bytes | str | None = None) -> Block:
    """Build a block from an already-decoded JSON object (used for chat message bodies)."""
    if not isinstance(obj, dict):
        text = _as_text(raw) if raw is not None else repr(obj)
        raise MalformedBlockError(f"block is not a JSON object: {text[:80]!r}", text)
    tag = obj.get("tag")
    cls = _KNOWN_BLOCKS.get(tag) if isinstance(tag, str) else None
    if cls is None:
        block_id = obj.get("id")
        return UnknownBlock(
            tag if isinstance(tag, str) else None,
            block_id if isinstance(block_id, str) else None,
            obj,
        )
    try:
        if cls is PythonBlock:
            return _python_block_from_builtins(obj)
        return msgspec.convert(obj, cls)  # type: ignore[no-any-return]
    except msgspec.ValidationError as exc:
        text = _as_text(raw) if raw is not None else _encoder.encode(obj).decode()
        raise MalformedBlockError(f"malformed {tag}: {exc}", text) from None


def _decode_block_slow(data: bytes | str) -> Block:
    try:
        obj = _json_decoder.decode(data)
    except msgspec.DecodeError as exc:
        raise MalformedBlockError(f"block is not valid JSON: {exc}", _as_text(data)) from None
    return block_from_builtins(obj, data)


def _python_block_from_builtins(obj: dict[str, Any]) -> PythonBlock:
    raw_results = obj.get("results")
    results: list[PythonResult] | None = None
    if raw_results is not None:
        if not isinstance(raw_results, list):
            raise msgspec.ValidationError("Expected `array | null`, got something else - at `$.results`")
        results = [_result_from_builtins(r) for r in raw_results]
    base = msgspec.convert({k: v for k, v in obj.items() if k != "results"}, _PythonBlockWire)
    return PythonBlock(base.id, base.contents, results)


def _result_from_builtins(obj: object) -> PythonResult:
    if not isinstance(obj, dict):
        raise msgspec.ValidationError("Expected a result object - at `$.results[...]`")
    tag = obj.get("tag")
    cls = _KNOWN_RESULTS.get(tag) if isinstance(tag, str) else None
    if cls is None:
        return UnknownResult(tag if isinstance(tag, str) else None, obj)
    return msgspec.convert(obj, cls)  # type: ignore[no-any-return]


def block_to_builtins(block: Block) -> dict[str, Any]:
    """The block as the JSON object Ana sends (``tag`` included); unknown blocks give back ``raw``."""
    if isinstance(block, UnknownBlock):
        return block.raw
    if isinstance(block, PythonBlock) and block.results:
        out: dict[str, Any] = msgspec.to_builtins(
            PythonBlock(block.id, block.contents, None)
        )
        out["results"] = [
            r.raw if isinstance(r, UnknownResult) else msgspec.to_builtins(r) for r in block.results
        ]
        return out
    return msgspec.to_builtins(block)  # type: ignore[no-any-return]


def encode_block(block: Block) -> bytes:
    """The block as wire JSON; ``decode_block(encode_block(b)) == b``."""
    if isinstance(block, (UnknownBlock, PythonBlock)):
        return _encoder.encode(block_to_builtins(block))
    return _encoder.encode(block)


def _as_text(data: bytes | str) -> str:
    return data if isinstance(data, str) else data.decode("utf-8", "replace")


# --- Chat summaries ---------------------------------------------------------------------------


class LastUserMessage(msgspec.Struct, frozen=True):
    """When the last user message of a chat was sent."""

    timestamp: _dt.datetime | None = None


class ChatSummaryValue(msgspec.Struct, rename="camel", frozen=True):
    """The details of a chat summary (``innerVal`` on the wire)."""

    id: str
    org_id: str | None = None
    engine: str | None = None
    summary: str | None = None
    last_user_message: LastUserMessage | None = None

    @property
    def engine_config(self) -> Any:
        """``engine`` parsed from its JSON string (``None`` when absent or not JSON)."""
        if not self.engine:
            return None
        try:
            return _json_decoder.decode(self.engine)
        except msgspec.DecodeError:
            return None


class ChatSummary(Result, rename="camel", frozen=True):
    """One chat in ``GET /api/ana/chat/summary``."""

    inner_id: str
    inner_val: ChatSummaryValue

    @property
    def id(self) -> str:
        """The chat id."""
        return self.inner_id

    @property
    def summary(self) -> str | None:
        """The chat's title."""
        return self.inner_val.summary

    @property
    def engine_config(self) -> Any:
        """The chat engine configuration, parsed."""
        return self.inner_val.engine_config


_summaries_decoder = msgspec.json.Decoder(list[ChatSummary])


def decode_chat_summaries(data: bytes | str) -> list[ChatSummary]:
    """Decode the body of ``GET /api/ana/chat/summary``."""
    return _summaries_decoder.decode(data)


# --- Chat messages ----------------------------------------------------------------------------


class Author(msgspec.Struct, frozen=True):
    """Who wrote a message: ``tag`` is ``User`` or ``Assistant``; users carry a name and member id."""

    tag: str
    name: str | None = None
    contents: str | None = None


class ChatMessage(Result, frozen=True):
    """One message of a chat, flattened from the wire's ``{innerId, innerVal: {...}}``."""

    inner_id: int | None
    author: Author
    chat_id: str | None
    timestamp: _dt.datetime | None
    body: list[Block]
    message_idx: int | None

    @property
    def is_assistant(self) -> bool:
        """Whether Ana wrote this message."""
        return self.author.tag == "Assistant"


class _MessageValue(msgspec.Struct, rename="camel"):
    author: Author = msgspec.field(default_factory=lambda: Author("Unknown"))
    chat_id: str | None = None
    timestamp: _dt.datetime | None = None
    body: list[Any] = msgspec.field(default_factory=list)
    message_idx: int | None = None


class _MessageWire(msgspec.Struct, rename="camel"):
    inner_id: int | None = None
    inner_val: _MessageValue | None = None


def decode_chat_messages(data: bytes | str) -> list[ChatMessage]:
    """Decode ``GET /api/ana/{chat_id}``: a flat array of messages or, as the docs word it, an array of arrays."""
    items = _json_decoder.decode(data)
    if not isinstance(items, list):
        raise msgspec.ValidationError("Expected `array` of chat messages")
    messages: list[ChatMessage] = []
    for item in items:
        for obj in item if isinstance(item, list) else (item,):
            messages.append(_message_from_builtins(obj))
    return messages


def _message_from_builtins(obj: object) -> ChatMessage:
    wire = msgspec.convert(obj, _MessageWire)
    # tolerate a message sent without the innerVal wrapper
    value = wire.inner_val or msgspec.convert(obj, _MessageValue)
    return ChatMessage(
        inner_id=wire.inner_id,
        author=value.author,
        chat_id=value.chat_id,
        timestamp=value.timestamp,
        body=[block_from_builtins(b) for b in value.body],
        message_idx=value.message_idx,
    )


# --- The result of one question ---------------------------------------------------------------


class AnaResult(Result, frozen=True):
    """Ana's complete answer to one question.

    ``answer`` is the text of the last TextBlock (``None`` if there was none);
    ``errors`` holds the ErrorBlocks Ana streamed (they do not raise);
    ``recovered`` is true when the stream broke and the answer was fetched
    from the chat history instead.
    """

    chat_id: str | None
    user_msg_id: int | None
    assistant_msg_id: int | None
    blocks: tuple[Block, ...]
    answer: str | None
    errors: tuple[ErrorBlock, ...]
    recovered: bool = False
