"""examples/fastapi_relay with Redis going away: an error event for a reader, a 503 at start,
and a working app again once Redis is back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import anyio
from _fastapi_relay_kit import relay_app, sse_frames

from textql_async.testing import FakeTextQL

QUESTION = "Which store has the largest floor space?"


async def test_redis_killed_mid_answer_then_down_then_back(
    uvicorn_serve: Any,
    redis_factory: Callable[[], Awaitable[Any]],
    monkeypatch: Any,
) -> None:
    redis = await redis_factory()  # a private server: this test kills it
    app_module = relay_app()
    async with FakeTextQL(event_delay=0.05) as fake:
        monkeypatch.setenv("TEXTQL_API_KEY", fake.api_key)
        monkeypatch.setenv("TEXTQL_MEMBER_ID", fake.member_id)
        monkeypatch.setenv("TEXTQL_BASE_URL", fake.url)
        settings = app_module.Settings(api_key=fake.api_key, redis_url=redis.url, keepalive=1.0)
        async with uvicorn_serve(app_module.make_app(settings)) as url, aiohttp.ClientSession() as http:
            with anyio.fail_after(30):
                async with http.post(
                    url + "/answers", json={"question": QUESTION}, headers={"X-User": "ada"}
                ) as resp:
                    assert resp.status == 201
                    answer_id = (await resp.json())["answer_id"]
                frames = []
                async with http.get(
                    url + f"/answers/{answer_id}/events", headers={"X-User": "ada"}
                ) as resp:
                    async for frame in sse_frames(resp):
                        frames.append(frame)
                        if len(frames) == 3:
                            redis.kill()  # mid-answer
                # the stream ended by itself (no hang) with the relay's error event
                assert frames[-1].event == "error"
                assert frames[-1].data["type"] == "RelayUnavailableError"
                assert [f.seq for f in frames[:3]] == list(range(frames[0].seq, frames[0].seq + 3))
                async with http.post(
                    url + "/answers", json={"question": QUESTION}, headers={"X-User": "ada"}
                ) as resp:
                    assert resp.status == 503
                    assert "relay unavailable" in (await resp.json())["detail"]
                async with http.get(url + f"/answers/{answer_id}", headers={"X-User": "ada"}) as resp:
                    assert resp.status == 503
                redis.start()  # back, on the same port (empty: it kept nothing)
                async with http.post(
                    url + "/answers", json={"question": QUESTION}, headers={"X-User": "ada"}
                ) as resp:
                    assert resp.status == 201  # the same app reconnected by itself
                    again = (await resp.json())["answer_id"]
                async with http.get(
                    url + f"/answers/{again}/events", headers={"X-User": "ada"}
                ) as resp:
                    assert [f async for f in sse_frames(resp)][-1].event == "done"
