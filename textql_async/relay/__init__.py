"""Answers as resumable logs: start an answer once, read it from any replica, any position.

```python
from textql_async.relay import InMemoryRelay

async with InMemoryRelay(client) as relay:
    answer_id = await relay.start("Largest store?", owner="user-1")
    async for event in relay.events(answer_id, owner="user-1", after=None):
        print(event.seq, event.kind)          # snapshot, update..., done
```

:class:`InMemoryRelay` serves one process; :class:`RedisRelay` (extra ``relay``) shares
answers across replicas on Redis Streams, with a lease so Ana is asked once even when
the replica reading her dies.
"""

from textql_async.relay._events import (
    AnswerLostError,
    AnswerNotFoundError,
    AnswerRelay,
    AnswerState,
    EventKind,
    RelayEvent,
    RelayUnavailableError,
)
from textql_async.relay._memory import InMemoryRelay
from textql_async.relay._redis import RedisRelay

__all__ = [
    "AnswerLostError",
    "AnswerNotFoundError",
    "AnswerRelay",
    "AnswerState",
    "EventKind",
    "InMemoryRelay",
    "RedisRelay",
    "RelayEvent",
    "RelayUnavailableError",
]
