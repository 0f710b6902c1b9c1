"""textql-async: an asyncio-first, fully typed SDK for TextQL and its data-analyst agent, Ana.

```python
from textql_async import AsyncTextQL

async with AsyncTextQL() as client:              # TEXTQL_API_KEY, TEXTQL_MEMBER_ID
    async with client.ana.stream("Largest store?") as stream:
        async for update in stream:
            print(update.index, update.block)
```
"""

from textql_async._batch import BatchItem
from textql_async._broadcast import Broadcaster, Subscription
from textql_async._chat_stream import ChatStream
from textql_async._client import AsyncTextQL
from textql_async._config import RetryPolicy, Timeout
from textql_async._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ChatFailedError,
    ConfigurationError,
    ConflictError,
    EventTooLargeError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    StreamError,
    TextQLError,
    UnprocessableEntityError,
    ValidationError,
)
from textql_async._streaming import AnaStream
from textql_async._version import __version__
from textql_async.models.ana import (
    AnaResult,
    Author,
    Block,
    ChatMessage,
    ChatSummary,
    ChatSummaryValue,
    ErrorBlock,
    ImageUrlResult,
    LastUserMessage,
    OntologyBlock,
    OntologyContents,
    OntologyResult,
    PythonBlock,
    PythonResult,
    TextBlock,
    TextResult,
    UnknownBlock,
    UnknownResult,
)
from textql_async.models.v2_chats import (
    Asset,
    AssetEvent,
    CellEvent,
    CellsPage,
    ChatCell,
    ChatEvent,
    ChatInfo,
    ChatPage,
    ChatResponse,
    ChatResult,
    ChatSnapshot,
    ChatSummaryV2,
    ChatThread,
    ChatThreadMessage,
    Done,
    Metadata,
    Model,
    TextDelta,
    Tools,
    UnknownEvent,
)
from textql_async.sansio.fold import AnaFold, BlockUpdate, Snapshot
from textql_async.sansio.sse import ServerSentEvent, SSEDecoder

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AnaFold",
    "AnaResult",
    "AnaStream",
    "Asset",
    "AssetEvent",
    "AsyncTextQL",
    "AuthenticationError",
    "Author",
    "BadRequestError",
    "BatchItem",
    "Block",
    "BlockUpdate",
    "Broadcaster",
    "CellEvent",
    "CellsPage",
    "ChatCell",
    "ChatEvent",
    "ChatFailedError",
    "ChatInfo",
    "ChatMessage",
    "ChatPage",
    "ChatResponse",
    "ChatResult",
    "ChatSnapshot",
    "ChatStream",
    "ChatSummary",
    "ChatSummaryV2",
    "ChatSummaryValue",
    "ChatThread",
    "ChatThreadMessage",
    "ConfigurationError",
    "ConflictError",
    "Done",
    "ErrorBlock",
    "EventTooLargeError",
    "ImageUrlResult",
    "LastUserMessage",
    "Metadata",
    "Model",
    "NotFoundError",
    "OntologyBlock",
    "OntologyContents",
    "OntologyResult",
    "PermissionDeniedError",
    "PythonBlock",
    "PythonResult",
    "RateLimitError",
    "RetryPolicy",
    "SSEDecoder",
    "ServerError",
    "ServerSentEvent",
    "Snapshot",
    "StreamError",
    "Subscription",
    "TextBlock",
    "TextDelta",
    "TextQLError",
    "TextResult",
    "Timeout",
    "Tools",
    "UnknownBlock",
    "UnknownEvent",
    "UnknownResult",
    "UnprocessableEntityError",
    "ValidationError",
    "__version__",
]
