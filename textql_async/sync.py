"""A blocking facade for scripts and notebooks: ``textql_async.sync.TextQL``.

```python
from textql_async.sync import TextQL

with TextQL() as client:
    print(client.ana.ask("Which store is the largest?").answer)
    with client.ana.stream("Revenue by month?") as stream:
        for update in stream:
            print(update.index, update.block)
```

It has no logic of its own: it runs the real :class:`~textql_async.AsyncTextQL` on
one private event-loop thread and forwards every call. Coroutines are awaited
there, async iterators become iterators, streams become ``with``/``for`` objects.
Because the loop lives on its own thread, it also works where a loop is already
running (Jupyter).

Every class here is generated from its async twin (``python -m
textql_async._sync_codegen``), so the facade is typed exactly like the async API:
``client.ana.ask(...)`` is an :class:`~textql_async.AnaResult` under ``mypy --strict``
and ``pyright --strict``, and a misspelt argument is a type error.
"""

from __future__ import annotations

from textql_async._sync_generated import (
    SyncAnaResource,
    SyncAnaStream,
    SyncApiKeysResource,
    SyncChangesResource,
    SyncChatsResource,
    SyncChatStream,
    SyncConnectorsResource,
    SyncConversationsResource,
    SyncDatabaseConnectorsResource,
    SyncMembersResource,
    SyncModelsResource,
    SyncPartnerResource,
    SyncPlaybooksResource,
    SyncRolesResource,
    SyncSandboxDownload,
    SyncSandcastlesResource,
    SyncSpacesResource,
    SyncV1ChatsResource,
    SyncV1Resource,
    TextQL,
)

__all__ = [
    "SyncAnaResource",
    "SyncAnaStream",
    "SyncApiKeysResource",
    "SyncChangesResource",
    "SyncChatStream",
    "SyncChatsResource",
    "SyncConnectorsResource",
    "SyncConversationsResource",
    "SyncDatabaseConnectorsResource",
    "SyncMembersResource",
    "SyncModelsResource",
    "SyncPartnerResource",
    "SyncPlaybooksResource",
    "SyncRolesResource",
    "SyncSandboxDownload",
    "SyncSandcastlesResource",
    "SyncSpacesResource",
    "SyncV1ChatsResource",
    "SyncV1Resource",
    "TextQL",
]
