"""Asked once: when the replica reading Ana dies, another finishes the answer from history.

The starting replica runs in a subprocess and is killed with SIGKILL mid-answer; the
replica in this process (another client, another RedisRelay) notices the expired lease,
takes it, and finishes from ``GET /api/ana/{chat_id}``. FakeTextQL (here) paces its answer
and records every request: exactly one ``/api/ana``.
"""

from __future__ import annotations

import os
import pathlib
import secrets
import signal
import subprocess
import sys

import anyio
from _helpers import Folded, as_wire, read_all
from anyio.streams.buffered import BufferedByteReceiveStream
from redis.asyncio import Redis

from textql_async.relay import RedisRelay
from textql_async.testing import FakeTextQL, default_answer, final_blocks

QUESTION = "Which store has the largest floor space?"
OWNER_SCRIPT = pathlib.Path(__file__).with_name("_owner_process.py")


def expected() -> list[dict[str, object]]:
    return as_wire(final_blocks(default_answer(QUESTION, chat_id="x", user_msg_id=0, assistant_msg_id=0)))


def ana_requests(fake: FakeTextQL) -> int:
    return sum(1 for r in fake.requests if r.path == "/api/ana")


async def test_a_killed_replica_is_taken_over_and_the_answer_finished_from_history(redis_server) -> None:
    prefix = f"takeover:{secrets.token_hex(4)}:"
    async with FakeTextQL(event_delay=0.1) as fake, fake.client() as client:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        owner = await anyio.open_process(
            [sys.executable, str(OWNER_SCRIPT), fake.url, redis_server.url, prefix, QUESTION],
            stdout=subprocess.PIPE,
            env=env,
        )
        try:
            assert owner.stdout is not None
            with anyio.fail_after(20):
                line = await BufferedByteReceiveStream(owner.stdout).receive_until(b"\n", 1000)
            answer_id = line.decode().strip()
            assert answer_id
            async with RedisRelay(client, redis_server.url, prefix=prefix, lease_ms=1000, scan_interval=0.5, recover_stable_for=0.5) as relay:
                folded = Folded()
                with anyio.fail_after(30):
                    async for event in relay.events(answer_id, owner="alice"):
                        folded.apply(event)  # asserts no gap and no duplicate
                        if event.kind == "update" and event.seq == 6:
                            owner.send_signal(signal.SIGKILL)  # the replica dies mid-answer
                            await owner.wait()
                            killed_at = anyio.current_time()
                print(f"takeover: done {anyio.current_time() - killed_at:.2f} s after SIGKILL")
                assert owner.returncode == -signal.SIGKILL
                assert folded.kinds[-1] == "done"
                assert folded.events[-1].seq > 6
                assert folded.blocks == expected()
                state = await relay.state(answer_id, owner="alice")
                assert state.done and state.to_builtins()["blocks"] == expected()
                assert state.chat_id == fake.chats[0].chat_id
        finally:
            if owner.returncode is None:
                owner.kill()
            with anyio.CancelScope(shield=True):
                await owner.aclose()
    assert ana_requests(fake) == 1  # never asked again
    assert len(fake.chats) == 1


async def test_a_replica_that_lost_its_lease_can_never_write_again(redis_server) -> None:
    prefix = f"fence:{secrets.token_hex(4)}:"
    async with FakeTextQL(event_delay=0.05) as fake, fake.client() as client_a, fake.client() as client_b:
        redis = Redis.from_url(redis_server.url)
        try:
            async with RedisRelay(client_a, redis_server.url, prefix=prefix, lease_ms=60_000) as a:
                answer_id = await a.start(QUESTION, owner="alice")
                async with RedisRelay(client_b, redis_server.url, prefix=prefix, lease_ms=1000, scan_interval=0.2, recover_stable_for=0.5) as b:
                    folded = Folded()
                    with anyio.fail_after(30):
                        async for event in b.events(answer_id, owner="alice"):
                            folded.apply(event)
                            if event.kind == "update" and event.seq == 4:
                                # A stalls past its lease (a GC pause, a partition): gone
                                await redis.delete(f"{prefix}{answer_id}:lease")
                    assert folded.kinds[-1] == "done"
                    assert folded.blocks == expected()
                    # A's pump noticed and stopped reading upstream (its writes are refused)
                    with anyio.fail_after(10):
                        await fake.wait_for_streams_closed()
                    log = await redis.xrange(f"{prefix}{answer_id}:log")
                    seqs = [int(entry_id.decode().split("-")[0]) for entry_id, _ in log]
                    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
                    assert [v[b"k"] for _, v in log].count(b"done") == 1
        finally:
            await redis.aclose()
    assert ana_requests(fake) == 1


async def test_an_owner_that_dies_before_the_chat_id_is_an_error_not_a_second_ask(redis_server) -> None:
    prefix = f"lost:{secrets.token_hex(4)}:"
    redis = Redis.from_url(redis_server.url)
    try:
        # an answer whose owner left no chat id behind: what a replica dying at once leaves
        answer_id = secrets.token_urlsafe(16)
        await redis.hset(f"{prefix}{answer_id}:state", mapping={"owner": "alice", "seq": 0, "n": 0, "meta": "{}"})
        await redis.zadd(f"{prefix}active", {answer_id: 0})
        async with FakeTextQL() as fake, fake.client() as client:
            async with RedisRelay(client, redis_server.url, prefix=prefix, lease_ms=500, scan_interval=0.2) as relay:
                with anyio.fail_after(10):
                    folded = await read_all(relay.events(answer_id, owner="alice"))
        assert folded.kinds == ["snapshot", "error"]
        assert folded.events[-1].data["type"] == "AnswerLostError"
        assert ana_requests(fake) == 0
    finally:
        await redis.aclose()
