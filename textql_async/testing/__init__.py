"""Test kit for textql-async: a local fake Ana server, scripted answers and SSE builders.

```python
from textql_async.testing import FakeTextQL, HTTPError

async with FakeTextQL() as fake:
    fake.inject(HTTPError(429, headers={"Retry-After": "0"}))
    async with fake.client() as client:
        result = await client.ana.ask("Where is the largest store?")
```

After a cut stream, Ana keeps working server-side, and the fake's chat history behaves
like the service's: ``FakeTextQL(answer_completes_after=3.0)`` shows the partial assistant
message (what was streamed so far) for 3 s, then the finished one; ``history=`` makes that
history lag behind the stream (``"lagging"``), stay partial forever (``"partial"``) or fail
every other read with a 503 (``"flaky"``); see :data:`HISTORY_MODES`.

The pytest fixtures ``fake_textql`` and ``textql_client`` live in
``textql_async.testing._plugin`` (auto-registered via the ``pytest11`` entry point); importing
this package does not require pytest.
"""

from textql_async.testing._answers import block_id, default_answer, scaled_answer
from textql_async.testing._faults import (
    Delay,
    Disconnect,
    DropAfter,
    Fault,
    HTTPError,
    Stall,
    Truncate,
    error_body,
)
from textql_async.testing._frames import (
    DOCS_EXAMPLE_STREAM,
    ScriptEvent,
    ana_event,
    block_event,
    docs_example_events,
    render_script,
    sse_comment,
    sse_frame,
)
from textql_async.testing._rules import (
    Matcher,
    RecordedRequest,
    RecordedResponse,
    Script,
    ScriptSource,
)
from textql_async.testing._serve import serve, serve_forever
from textql_async.testing._server import FakeTextQL
from textql_async.testing._store import (
    HISTORY_MODES,
    ChatStore,
    StoredChat,
    final_blocks,
    iso_timestamp,
    parse_raw_events,
)

__all__ = [
    "ChatStore",
    "DOCS_EXAMPLE_STREAM",
    "Delay",
    "Disconnect",
    "DropAfter",
    "FakeTextQL",
    "Fault",
    "HISTORY_MODES",
    "HTTPError",
    "Matcher",
    "RecordedRequest",
    "RecordedResponse",
    "Script",
    "ScriptEvent",
    "ScriptSource",
    "Stall",
    "StoredChat",
    "Truncate",
    "ana_event",
    "block_event",
    "block_id",
    "default_answer",
    "docs_example_events",
    "error_body",
    "final_blocks",
    "iso_timestamp",
    "parse_raw_events",
    "render_script",
    "scaled_answer",
    "serve",
    "serve_forever",
    "sse_comment",
    "sse_frame",
]
