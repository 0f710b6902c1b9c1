"""RedisRelay's storage pieces: the fenced Lua scripts, the client from a URL, and reading
an answer's state hash (owner check, snapshot, final event). See :mod:`textql_async.relay._redis`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from textql_async.relay._events import AnswerNotFoundError, RelayEvent, state_data
from textql_async.relay._pump import Wire

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = [
    "PUBLISH",
    "RELEASE",
    "RENEW",
    "apply_event",
    "check_fields",
    "final_event",
    "redis_from_url",
    "snapshot_event",
    "wire_blocks",
]

# KEYS: state, log, lease, active. ARGV: token, kind, data, terminal, keep, ttl_ms,
# answer_id, count, meta, then (index, block) pairs. Returns the new seq, or -1 when the
# caller no longer holds the lease (or the answer is gone / finished).
PUBLISH = """
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return -1 end
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'final') == 1 then
  return -1
end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], seq .. '-0', 'k', ARGV[2], 'd', ARGV[3])
for i = 10, #ARGV, 2 do
  redis.call('HSET', KEYS[1], 'b:' .. ARGV[i], ARGV[i + 1])
end
redis.call('HSET', KEYS[1], 'n', ARGV[8], 'meta', ARGV[9])
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[1], 'final', cjson.encode({seq = seq, kind = ARGV[2], data = cjson.decode(ARGV[3])}))
  redis.call('DEL', KEYS[3])
  redis.call('ZREM', KEYS[4], ARGV[7])
end
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return seq
"""

# KEYS: lease, state, log. ARGV: token, lease_ms, ttl_ms.
RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return 1
"""

# KEYS: lease. ARGV: token.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def redis_from_url(url: str, *, block_ms: int, max_connections: int) -> Redis:
    """A client whose pool waits for a free connection (up to 10 s) instead of failing a
    burst of readers; short timeouts so nothing hangs when Redis is gone."""
    try:
        from redis.asyncio import BlockingConnectionPool, Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import ExponentialBackoff
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "RedisRelay needs the redis package: pip install 'textql-async[relay]'"
        ) from exc
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=10,
        socket_connect_timeout=2.0,
        socket_timeout=block_ms / 1000 + 5.0,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
        health_check_interval=15,
    )
    return Redis.from_pool(pool)


def check_fields(fields: dict[str, str], answer_id: str, owner: str) -> None:
    if not fields or fields.get("owner") != owner:
        raise AnswerNotFoundError(answer_id)


def final_event(fields: dict[str, str]) -> RelayEvent | None:
    raw = fields.get("final")
    if raw is None:
        return None
    final = json.loads(raw)
    return RelayEvent(int(final["seq"]), final["kind"], final["data"])


def wire_blocks(fields: dict[str, str]) -> list[Wire]:
    count = int(fields.get("n", "0"))
    return [json.loads(fields[f"b:{i}"]) for i in range(count)]


def snapshot_event(fields: dict[str, str], final: RelayEvent | None) -> RelayEvent:
    """The whole state; for a finished answer, as of just before its terminal event."""
    if final is not None:
        if final.kind == "done":
            data = state_data(final.data.get("chat_id"), list(final.data.get("blocks", [])))
        else:
            data = dict(final.data.get("snapshot") or state_data(None, []))
        return RelayEvent(final.seq - 1, "snapshot", data)
    meta = json.loads(fields.get("meta", "{}"))
    return RelayEvent(
        int(fields["seq"]), "snapshot", state_data(meta.get("chat_id"), wire_blocks(fields))
    )


def apply_event(event: RelayEvent, chat_id: str | None, wire: list[Wire]) -> tuple[str | None, list[Wire]]:
    """A reader's own copy of the state, for the snapshot of an ``error`` it may have to send."""
    data = event.data
    chat_id = data.get("chat_id") or chat_id
    if event.kind == "update":
        for item in data.get("blocks", []):
            index = int(item["index"])
            if index < len(wire):
                wire[index] = item["block"]
            else:
                wire.append(item["block"])
    elif event.kind == "done":
        wire = list(data.get("blocks", []))
    return chat_id, wire
