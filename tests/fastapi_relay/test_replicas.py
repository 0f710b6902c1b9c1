"""Two uvicorn replicas of examples/fastapi_relay on one real Redis, FakeTextQL in a third process.

Real parts only: ``redis-server`` (Debian's, installed with apt-get when missing), two
``python examples/fastapi_relay/app.py`` processes (uvicorn inside), and
``_fake_process.py`` pacing its events by 20 ms. A reader moves between replicas with
``Last-Event-ID``; replica A is SIGKILLed mid-answer and replica B finishes it from the
chat history; the fake counts the ``/api/ana`` requests.
"""

from __future__ import annotations

import secrets
from typing import Any

import aiohttp
import anyio
import pytest
from _fastapi_relay_kit import SSE, FakeProcess, Replica, fold_events, sse_frames, typed

QUESTION = "Which store has the largest floor space?"
BUDGET = 60.0  # a takeover waits for the dead replica's lease to expire

pytestmark = pytest.mark.timeout(180)  # includes installing redis-server and starting replicas


async def start(http: aiohttp.ClientSession, replica: Replica, question: str, user: str) -> str:
    async with http.post(
        replica.url + "/answers", json={"question": question}, headers={"X-User": user}
    ) as resp:
        assert resp.status == 201, await resp.text()
        return str((await resp.json())["answer_id"])


async def read(
    http: aiohttp.ClientSession,
    replica: Replica,
    answer_id: str,
    *,
    user: str = "ada",
    last: int | None = None,
    limit: int | None = None,
    into: list[SSE] | None = None,
) -> list[SSE]:
    """Read the answer's events from ``replica`` (until done, ``limit`` events, or a drop)."""
    frames: list[SSE] = [] if into is None else into
    headers = {"X-User": user}
    if last is not None:
        headers["Last-Event-ID"] = str(last)
    async with http.get(replica.url + f"/answers/{answer_id}/events", headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        count = 0
        async for frame in sse_frames(resp):
            frames.append(frame)
            count += 1
            if limit is not None and count >= limit:
                break
    return frames


async def state(http: aiohttp.ClientSession, replica: Replica, answer_id: str, user: str = "ada") -> Any:
    async with http.get(replica.url + f"/answers/{answer_id}", headers={"X-User": user}) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json()


def script_of(fake: FakeProcess, chat_id: str) -> list[dict[str, Any]]:
    (chat,) = [c for c in fake.chats() if c["chat_id"] == chat_id]
    return list(chat["script"])


def assert_contiguous(frames: list[SSE]) -> None:
    seqs = [f.seq for f in frames]
    assert None not in seqs, frames
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs  # no gap, no duplicate


async def test_reader_moves_from_a_to_b_with_last_event_id(
    replicas: tuple[Replica, Replica], fake_process: FakeProcess
) -> None:
    a, b = replicas
    question = f"{QUESTION} ({secrets.token_hex(4)})"
    async with aiohttp.ClientSession() as http:
        with anyio.fail_after(BUDGET):
            answer_id = await start(http, a, question, "ada")
            head = await read(http, a, answer_id, limit=5)
            assert head[-1].event != "done"  # mid-answer
            tail = await read(http, b, answer_id, last=head[-1].seq)
            on_a, on_b = await state(http, a, answer_id), await state(http, b, answer_id)
    frames = head + tail
    assert frames[0].event == "snapshot"
    assert tail[0].seq == head[-1].seq + 1  # exactly the remaining events
    assert_contiguous(frames)
    assert tail[-1].event == "done"
    assert on_a == on_b and on_b["done"] is True
    expected = typed(script_of(fake_process, on_b["chat_id"]))
    assert typed(on_b["blocks"]) == expected
    assert typed(fold_events(frames)) == expected  # what the reader saw adds up to the answer
    assert fake_process.asks(question) == 1


async def test_replica_a_killed_mid_answer_b_finishes_from_history(
    replicas: tuple[Replica, Replica], fake_process: FakeProcess
) -> None:
    a, b = replicas
    question = f"{QUESTION} ({secrets.token_hex(4)})"
    frames: list[SSE] = []
    async with aiohttp.ClientSession() as http:
        with anyio.fail_after(BUDGET):
            answer_id = await start(http, a, question, "ada")
            await read(http, a, answer_id, limit=4, into=frames)
            assert frames[-1].event != "done"
            a.kill()  # SIGKILL: no shutdown hook, no lease release
            await read(http, b, answer_id, last=frames[-1].seq, into=frames)
            final = await state(http, b, answer_id)
    assert frames[-1].event == "done"
    assert_contiguous(frames)
    assert final["done"] is True
    expected = typed(script_of(fake_process, final["chat_id"]))
    assert typed(final["blocks"]) == expected  # what Ana produced, not what A had seen
    assert typed(fold_events(frames)) == expected
    assert fake_process.asks(question) == 1  # never asked again
    history = [r for r in fake_process.requests() if r["path"] == f"/api/ana/{final['chat_id']}"]
    assert history, "replica B should have finished the answer from the chat history"


async def test_a_reader_on_b_during_the_kill_sees_no_gap(
    replicas: tuple[Replica, Replica], fake_process: FakeProcess
) -> None:
    """A reader already on B while A (the writer) dies: its stream just continues."""
    a, b = replicas
    question = f"{QUESTION} ({secrets.token_hex(4)})"
    async with aiohttp.ClientSession() as http:
        with anyio.fail_after(BUDGET):
            answer_id = await start(http, a, question, "ada")
            frames: list[SSE] = []
            streaming = anyio.Event()

            async def reader() -> None:
                headers = {"X-User": "ada"}
                async with http.get(b.url + f"/answers/{answer_id}/events", headers=headers) as resp:
                    async for frame in sse_frames(resp):
                        frames.append(frame)
                        if len(frames) == 3:
                            streaming.set()

            async with anyio.create_task_group() as group:
                group.start_soon(reader)
                await streaming.wait()
                assert frames[-1].event != "done"
                a.kill()
            final = await state(http, b, answer_id)
    assert frames[0].event == "snapshot" and frames[-1].event == "done"
    assert_contiguous(frames)
    assert typed(fold_events(frames)) == typed(final["blocks"])
    assert typed(final["blocks"]) == typed(script_of(fake_process, final["chat_id"]))
    assert fake_process.asks(question) == 1


async def test_scope_across_replicas(replicas: tuple[Replica, Replica]) -> None:
    a, b = replicas
    async with aiohttp.ClientSession() as http:
        with anyio.fail_after(BUDGET):
            mine = await start(http, a, QUESTION, "ada")
            theirs = await start(http, b, QUESTION, "bob")  # same question, another owner
            assert mine != theirs
            guesses = [mine, *(secrets.token_urlsafe(16) for _ in range(10)), mine[::-1]]
            for replica in (a, b):
                for guess in guesses:
                    for path in (f"/answers/{guess}", f"/answers/{guess}/events"):
                        async with http.get(replica.url + path, headers={"X-User": "bob"}) as resp:
                            assert resp.status == 404, (replica.name, guess, path)
            ada = await state(http, b, mine, "ada")
            bob = await state(http, a, theirs, "bob")
    assert ada["answer_id"] == mine and bob["answer_id"] == theirs
