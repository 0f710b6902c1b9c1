"""A client made at module level works across successive ``asyncio.run`` calls.

openai documents that pattern; with one aiohttp session per client the second run used
to fail with aiohttp's raw ``RuntimeError`` about another loop. Now the client's pool is
per loop: closed when ``asyncio.run`` shuts its loop down, made anew on the next one.
A session the user passed cannot be remade: that case is a clear ``TextQLError``.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Iterator

import aiohttp
import pytest

from textql_async import AsyncTextQL, TextQLError
from textql_async.testing import FakeTextQL


class FakeInThread:
    """A FakeTextQL on its own loop and thread, so the test can call ``asyncio.run`` itself."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self.fake: FakeTextQL | None = None
        self._thread = threading.Thread(target=self.loop.run_until_complete, args=(self._serve(),))

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with FakeTextQL() as fake:
            self.fake = fake
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> FakeTextQL:
        self._thread.start()
        assert self._ready.wait(10)
        assert self.fake is not None
        return self.fake

    def __exit__(self, *exc: object) -> None:
        assert self._stop is not None
        self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self.loop.close()


@pytest.fixture
def fake() -> Iterator[FakeTextQL]:
    with FakeInThread() as server:
        yield server


def test_a_module_level_client_in_two_asyncio_runs(fake: FakeTextQL) -> None:
    client = fake.client()  # made outside any loop, like a module-level client

    async def use() -> tuple[str, int]:
        result = await client.ana.ask("Which store is the largest?")
        async with client.ana.stream("again?") as stream:
            await stream.final()
        await client.chats.list()
        return result.chat_id or "", len(await client.ana.chat_summaries())

    first = asyncio.run(use())
    second = asyncio.run(use())  # a new loop: aiohttp's "attached to a different loop" before
    third = asyncio.run(use())
    assert first[0] and second[0] and third[0] and len({first[0], second[0], third[0]}) == 3
    assert third[1] == 6
    assert not client.is_closed
    asyncio.run(client.aclose())
    assert client.is_closed
    gc.collect()  # a session left unclosed would warn here (warnings are errors)


def test_the_pool_is_closed_when_each_run_ends(fake: FakeTextQL) -> None:
    client = fake.client()
    sessions: list[aiohttp.ClientSession] = []

    async def use() -> None:
        await client.ana.chat_summaries()
        session = client._transport._session
        assert session is not None
        sessions.append(session)

    asyncio.run(use())
    asyncio.run(use())
    assert len(sessions) == 2 and sessions[0] is not sessions[1]
    assert all(s.closed for s in sessions)  # each closed by its own loop's shutdown
    asyncio.run(client.aclose())


def test_closing_the_client_on_a_later_loop(fake: FakeTextQL) -> None:
    client = fake.client()
    asyncio.run(client.ana.chat_summaries())

    async def close_and_use() -> None:
        await client.aclose()
        with pytest.raises(TextQLError, match="closed"):
            await client.ana.chat_summaries()

    asyncio.run(close_and_use())


def test_one_client_inside_one_run_keeps_its_pool(fake: FakeTextQL) -> None:
    async def main() -> None:
        async with fake.client() as client:
            await client.ana.chat_summaries()
            session = client._transport._session
            await client.ana.ask("q")
            assert client._transport._session is session  # same loop: same pool
            assert fake.total_connections == 1

    asyncio.run(main())


def test_a_session_passed_by_the_user_on_another_loop_is_a_clear_error(fake: FakeTextQL) -> None:
    holder: list[AsyncTextQL] = []

    async def make() -> None:
        async with aiohttp.ClientSession() as session:
            holder.append(fake.client(session=session))
            await holder[0].ana.chat_summaries()

    asyncio.run(make())

    async def reuse() -> None:
        with pytest.raises(TextQLError, match="belongs to another event loop"):
            await holder[0].ana.chat_summaries()

    asyncio.run(reuse())


def test_a_client_in_use_on_another_running_loop(fake: FakeTextQL) -> None:
    client = fake.client()
    other = FakeInThreadLoop()
    try:
        other.run(client.ana.chat_summaries())  # binds the pool to the other thread's loop

        async def here() -> None:
            with pytest.raises(TextQLError, match="another event loop"):
                await client.ana.chat_summaries()

        asyncio.run(here())
        other.run(client.aclose())
    finally:
        other.stop()


class FakeInThreadLoop:
    """An event loop running forever on a thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever)
        self._thread.start()

    def run(self, coro: object) -> object:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)  # type: ignore[arg-type]

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()
