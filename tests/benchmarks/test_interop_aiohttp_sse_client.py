"""Interop: ``aiohttp_sse_client.EventSource`` events fed into our public :class:`AnaFold`.

Users who already have that SSE client can still get our typed snapshots. Two things make it
safe for Ana: ``max_connect_retry=0`` (no retried connects) and closing the stream at
``done``: the client otherwise reconnects when a body ends, which asks Ana the question
again (the second test shows it).
"""

from __future__ import annotations

from datetime import timedelta

import aiohttp
from aiohttp_sse_client.client import EventSource

from textql_async.models.ana import PythonBlock, TextBlock, TextResult
from textql_async.sansio.chunked import AnaDecoder
from textql_async.sansio.fold import AnaFold
from textql_async.testing import DOCS_EXAMPLE_STREAM, FakeTextQL

QUESTION = "Which store is the largest?"


def _docs_result() -> AnaFold:
    decoder = AnaDecoder()
    decoder.feed(DOCS_EXAMPLE_STREAM)
    return decoder.fold


def _ana_requests(fake: FakeTextQL) -> int:
    return sum(1 for r in fake.requests if r.path == "/api/ana")


async def test_event_source_events_fold_into_the_docs_result() -> None:
    async with FakeTextQL() as fake:
        fake.add_answer(QUESTION, [DOCS_EXAMPLE_STREAM])  # the docs' bytes, verbatim
        fold = AnaFold()
        async with (
            aiohttp.ClientSession() as session,
            EventSource(
                f"{fake.url}/api/ana",
                session=session,
                max_connect_retry=0,
                params={"query": QUESTION},
                headers=fake.auth_headers(),
            ) as source,
        ):
            async for event in source:
                fold.feed(event.type or "message", event.data)
                if fold.done:
                    break  # and leave the `async with`: the response is closed
        await fake.wait_for_streams_closed()

        snapshot = fold.snapshot
        assert snapshot == _docs_result().snapshot
        assert snapshot.done
        assert snapshot.chat_id == "nahar-alpha-cd66081b89c5cd9b0c"
        assert (snapshot.user_msg_id, snapshot.assistant_msg_id) == (33893, 33894)
        text, python = snapshot.blocks
        assert text == TextBlock("abc123", "The largest store is located in New York.")
        assert isinstance(python, PythonBlock) and python.id == "def456"
        assert isinstance(python.results, list) and isinstance(python.results[0], TextResult)
        assert snapshot.answer == "The largest store is located in New York."
        assert _ana_requests(fake) == 1  # the question was sent exactly once


async def test_event_source_reconnects_at_the_end_of_a_body_and_asks_again() -> None:
    """Why closing at ``done`` is required: ``max_connect_retry=0`` does not stop it."""
    async with FakeTextQL() as fake:
        fake.add_answer(QUESTION, [DOCS_EXAMPLE_STREAM])
        fold = AnaFold()
        async with (
            aiohttp.ClientSession() as session,
            EventSource(
                f"{fake.url}/api/ana",
                session=session,
                max_connect_retry=0,
                reconnection_time=timedelta(0),
                params={"query": QUESTION},
                headers=fake.auth_headers(),
            ) as source,
        ):
            while not fold.done:
                event = await source.__anext__()
                fold.feed(event.type or "message", event.data)
            assert _ana_requests(fake) == 1
            # one more read after done: the body ends, the client reconnects by itself
            event = await source.__anext__()
            assert event.type == "chatId"  # the first event of a second answer
            assert _ana_requests(fake) == 2  # Ana was asked the question again
        await fake.wait_for_streams_closed()
