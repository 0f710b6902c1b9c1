"""The pytest fixtures and the standalone server entry points."""

from __future__ import annotations

import asyncio
import io
import re

import aiohttp
import pytest

from textql_async import AsyncTextQL
from textql_async.testing import FakeTextQL, serve
from textql_async.testing.__main__ import main


async def test_fake_textql_fixture_is_running(fake_textql: FakeTextQL) -> None:
    assert isinstance(fake_textql, FakeTextQL)
    async with aiohttp.ClientSession(headers=fake_textql.auth_headers("bearer")) as session:
        async with session.get(fake_textql.url + "/api/ana/chat/summary") as resp:
            assert resp.status == 200


async def test_textql_client_fixture_talks_to_fake(
    fake_textql: FakeTextQL, textql_client: AsyncTextQL
) -> None:
    assert isinstance(textql_client, AsyncTextQL)
    fake_textql.add_answer("hi", [("chatId", "c9"), ("message", "done")])
    result = await textql_client.ana.ask("hi")
    assert result.chat_id == "c9"
    assert fake_textql.requests[-1].query["query"] == "hi"


async def test_serve_prints_url_and_serves() -> None:
    out = io.StringIO()
    task = asyncio.create_task(serve(port=0, api_key="k", member_id="m", out=out))
    try:
        for _ in range(200):
            if "Ctrl+C" in out.getvalue():
                break
            await asyncio.sleep(0.01)
        text = out.getvalue()
        match = re.search(r"TEXTQL_BASE_URL=(http://127\.0\.0\.1:\d+)", text)
        assert match is not None, text
        assert "TEXTQL_API_KEY=k" in text and "TEXTQL_MEMBER_ID=m" in text
        async with aiohttp.ClientSession(headers={"Authorization": "Bearer k"}) as session:
            async with session.get(match.group(1) + "/api/ana", params={"query": "q"}) as resp:
                assert (await resp.read()).endswith(b'data: "done"\n\n')
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def test_main_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as excinfo:
        main(["--help"])
    assert excinfo.value.code == 0
    assert "--port" in capsys.readouterr().out
