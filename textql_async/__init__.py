"""textql-async: an asyncio-first, fully typed SDK for TextQL and its data-analyst agent, Ana.

```python
from textql_async import AsyncTextQL

async with AsyncTextQL() as client:              # TEXTQL_API_KEY, TEXTQL_MEMBER_ID
    async with client.ana.stream("Largest store?") as stream:
        async for update in stream:
            print(update.index, update.block)
```
"""

from textql_async._client import AsyncTextQL
from textql_async._config import RetryPolicy, Timeout
from textql_async._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
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
from textql_async.sansio.fold import AnaFold, BlockUpdate, Snapshot
from textql_async.sansio.sse import ServerSentEvent, SSEDecoder

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AnaFold",
    "AnaResult",
    "AnaStream",
    "AsyncTextQL",
    "AuthenticationError",
    "Author",
    "BadRequestError",
    "Block",
    "BlockUpdate",
    "ChatMessage",
    "ChatSummary",
    "ChatSummaryValue",
    "ConfigurationError",
    "ConflictError",
    "ErrorBlock",
    "EventTooLargeError",
    "ImageUrlResult",
    "LastUserMessage",
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
    "TextBlock",
    "TextQLError",
    "TextResult",
    "Timeout",
    "UnknownBlock",
    "UnknownResult",
    "UnprocessableEntityError",
    "ValidationError",
    "__version__",
]
