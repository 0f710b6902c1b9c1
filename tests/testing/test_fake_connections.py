"""Connection and stream tracking: early client exits must close the server side promptly."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from textql_async.testing import FakeTextQL


async def test_open_connections_drop_after_client_closes_mid_stream(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with FakeTextQL(event_delay=0.02, answer_completes_after=60) as fake:
        async with aiohttp.ClientSession(headers=fake.auth_headers()) as session:
            async with session.get(fake.url + "/api/ana", params={"query": "q"}) as resp:
                await resp.content.readuntil(b"\n\n")  # chatId
                await resp.content.readuntil(b"\n\n")  # userMsgId
                assert fake.active_streams == 1
                assert fake.open_connections == 1
            # leaving the block early closes this (unfinished) connection; session stays open
            await fake.wait_for_disconnects(timeout=2)
            assert (fake.open_connections, fake.active_streams) == (0, 0)
            assert fake.total_connections == 1
        # the server stopped streaming: the stored chat saw far fewer than all blocks, and
        # Ana's complete answer is still "being worked on" (nothing produced yet to show)
        assert len(fake.chats[0].blocks) <= 1
        assert fake.chats[0].pending
        assert len(fake.chats[0].messages_json()) == 1
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert errors == []


async def test_keep_alive_connection_is_reused_then_closed() -> None:
    async with FakeTextQL() as fake:
        async with aiohttp.ClientSession(headers=fake.auth_headers()) as session:
            for _ in range(2):
                async with session.get(fake.url + "/api/ana", params={"query": "q"}) as resp:
                    assert (await resp.read()).endswith(b'data: "done"\n\n')
            assert fake.open_connections == 1  # pooled by the client
            assert fake.active_streams == 0
        await fake.wait_for_disconnects(timeout=2)
        assert fake.total_connections == 1
        assert len(fake.requests) == 2


async def test_wait_for_disconnects_times_out_while_connected() -> None:
    async with FakeTextQL() as fake:
        async with aiohttp.ClientSession(headers=fake.auth_headers()) as session:
            async with session.get(fake.url + "/api/ana/chat/summary") as resp:
                await resp.read()
            with pytest.raises(TimeoutError):
                await fake.wait_for_disconnects(timeout=0.05)
