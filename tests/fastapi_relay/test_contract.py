"""examples/fastapi_relay/app.py: its HTTP contract, on the in-process relay, under uvicorn.

The app asks a FakeTextQL of this test (through ``TEXTQL_*``, as it would ask TextQL);
``test_app_py_serves_on_port`` runs ``python examples/fastapi_relay/app.py`` itself with no
key, so its embedded fake and ``PORT`` are covered too.
"""

from __future__ import annotations

import json
import pathlib
import secrets
import urllib.request
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import anyio
import pytest
from _fastapi_relay_kit import Replica, http_json, relay_app, sse_frames, typed

from textql_async.testing import FakeTextQL, default_answer, final_blocks

EXAMPLE = "fastapi_relay/app.py"  # under examples/: run in-process below and as `python app.py`
QUESTION = "Which store has the largest floor space?"
BUDGET = 30.0


class Site:
    def __init__(self, fake: FakeTextQL, url: str, http: aiohttp.ClientSession) -> None:
        self.fake, self.url, self.http = fake, url, http

    async def start(self, question: str = QUESTION, user: str = "ada") -> str:
        async with self.http.post(
            self.url + "/answers", json={"question": question}, headers={"X-User": user}
        ) as resp:
            assert resp.status == 201, await resp.text()
            body = await resp.json()
        assert list(body) == ["answer_id"]
        return str(body["answer_id"])

    async def events(
        self, answer_id: str, user: str = "ada", last: int | None = None, limit: int | None = None
    ) -> list[Any]:
        headers = {"X-User": user}
        if last is not None:
            headers["Last-Event-ID"] = str(last)
        frames = []
        async with self.http.get(self.url + f"/answers/{answer_id}/events", headers=headers) as resp:
            assert resp.status == 200, await resp.text()
            async for frame in sse_frames(resp):
                frames.append(frame)
                if limit is not None and len(frames) >= limit:
                    break
        return frames

    async def state(self, answer_id: str, user: str = "ada") -> tuple[int, Any]:
        async with self.http.get(self.url + f"/answers/{answer_id}", headers={"X-User": user}) as resp:
            return resp.status, await resp.json()

    def expected_blocks(self) -> list[dict[str, Any]]:
        chat = self.fake.chats[0]
        return final_blocks(
            default_answer(
                chat.question,
                chat_id=chat.chat_id,
                user_msg_id=chat.user_msg_id,
                assistant_msg_id=chat.assistant_msg_id,
            )
        )


@pytest.fixture
async def site(uvicorn_serve: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Site]:
    app_module = relay_app()
    async with FakeTextQL(event_delay=0.01) as fake:
        monkeypatch.setenv("TEXTQL_API_KEY", fake.api_key)
        monkeypatch.setenv("TEXTQL_MEMBER_ID", fake.member_id)
        monkeypatch.setenv("TEXTQL_BASE_URL", fake.url)
        settings = app_module.Settings(api_key=fake.api_key, keepalive=1.0)
        async with uvicorn_serve(app_module.make_app(settings)) as url, aiohttp.ClientSession() as http:
            yield Site(fake, url, http)


def check_sequence(frames: list[Any]) -> None:
    seqs = [f.seq for f in frames]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs  # +1 per event, no gap


async def test_post_then_events_then_state(site: Site) -> None:
    with anyio.fail_after(BUDGET):
        answer_id = await site.start()
        frames = await site.events(answer_id)
        status, state = await site.state(answer_id)
    assert frames[0].event == "snapshot"
    assert frames[-1].event == "done"
    assert {f.event for f in frames[1:-1]} <= {"update"}
    check_sequence(frames)
    assert status == 200
    assert list(state) == ["answer_id", "chat_id", "done", "blocks", "answer"]
    assert state["answer_id"] == answer_id
    assert state["done"] is True
    assert state["chat_id"] == site.fake.chats[0].chat_id
    assert typed(state["blocks"]) == typed(site.expected_blocks())  # each block as wire JSON
    assert all({"tag", "id", "contents"} <= set(b) for b in state["blocks"])
    assert state["answer"] == site.expected_blocks()[-1]["contents"]
    assert [r.path for r in site.fake.requests].count("/api/ana") == 1


async def test_last_event_id_gives_exactly_the_rest(site: Site) -> None:
    with anyio.fail_after(BUDGET):
        answer_id = await site.start()
        head = await site.events(answer_id, limit=4)
        tail = await site.events(answer_id, last=head[-1].seq)
        whole = await site.events(answer_id, last=head[0].seq)
    assert tail[0].seq == head[-1].seq + 1
    check_sequence(head + tail)
    assert tail[-1].event == "done"
    assert [f.seq for f in whole] == [f.seq for f in head[1:] + tail]
    assert [r.path for r in site.fake.requests].count("/api/ana") == 1  # readers never re-ask


async def test_a_browser_owner_in_the_query_string(site: Site) -> None:
    with anyio.fail_after(BUDGET):
        answer_id = await site.start(user="ada")
        url = site.url + f"/answers/{answer_id}/events?user=ada"
        async with site.http.get(url) as resp:
            assert resp.status == 200
            assert resp.headers["Cache-Control"] == "no-cache"
            assert resp.headers["X-Accel-Buffering"] == "no"
            frames = [f async for f in sse_frames(resp)]
        async with site.http.get(site.url + f"/answers/{answer_id}?user=bob") as resp:
            assert resp.status == 404
        async with site.http.get(  # the header wins over the query parameter
            site.url + f"/answers/{answer_id}?user=ada", headers={"X-User": "bob"}
        ) as resp:
            assert resp.status == 404
    assert frames[-1].event == "done"


async def test_scope_another_owner_and_guessed_ids_are_404(site: Site) -> None:
    with anyio.fail_after(BUDGET):
        answer_id = await site.start(user="ada")
        await site.events(answer_id, user="ada")
        guesses = [
            answer_id,  # the real id, but not bob's
            answer_id[:-1] + ("A" if answer_id[-1] != "A" else "B"),
            answer_id.upper(),
            "1", "0", "a", "../" + answer_id,
            str(uuid.uuid4()), uuid.uuid4().hex,
            *(secrets.token_urlsafe(16) for _ in range(20)),
            *(secrets.token_hex(16) for _ in range(20)),
        ]
        for guess in guesses:
            for path in (f"/answers/{guess}", f"/answers/{guess}/events"):
                async with site.http.get(site.url + path, headers={"X-User": "bob"}) as resp:
                    assert resp.status == 404, (guess, path, resp.status)
                    assert "text/event-stream" not in resp.headers.get("Content-Type", "")
        for guess in guesses[1:]:  # and ada cannot reach ids she does not own either
            status, _ = await site.state(guess, user="ada")
            assert status == 404, guess
        status, state = await site.state(answer_id, user="ada")
    assert status == 200 and state["done"] is True


async def test_two_owners_same_question_get_two_answers(site: Site) -> None:
    with anyio.fail_after(BUDGET):
        first = await site.start(user="ada")
        second = await site.start(user="bob")
        await site.events(first, user="ada")
        await site.events(second, user="bob")
        _, ada = await site.state(first, user="ada")
        _, bob = await site.state(second, user="bob")
    assert first != second
    assert ada["chat_id"] != bob["chat_id"]
    assert [r.path for r in site.fake.requests].count("/api/ana") == 2


async def test_bad_requests(site: Site) -> None:
    with anyio.fail_after(BUDGET):
        async with site.http.post(site.url + "/answers", json={"question": QUESTION}) as resp:
            assert resp.status == 401  # no owner
        for body in ({}, {"question": ""}, {"question": 3}, [QUESTION]):
            async with site.http.post(
                site.url + "/answers", json=body, headers={"X-User": "ada"}
            ) as resp:
                assert resp.status == 422, body
        async with site.http.post(
            site.url + "/answers", data=b"{not json", headers={"X-User": "ada", "Content-Type": "application/json"}
        ) as resp:
            assert resp.status == 422
        answer_id = await site.start()
        async with site.http.get(
            site.url + f"/answers/{answer_id}/events",
            headers={"X-User": "ada", "Last-Event-ID": "nope"},
        ) as resp:
            assert resp.status == 400
    assert [r.path for r in site.fake.requests].count("/api/ana") == 1  # rejected ones never asked


async def test_websocket_route_resumes_from_after(site: Site) -> None:
    with anyio.fail_after(BUDGET):
        answer_id = await site.start()
        frames = await site.events(answer_id)
        middle = frames[len(frames) // 2].seq
        async with site.http.ws_connect(site.url + f"/answers/{answer_id}/ws?user=ada") as ws:
            await ws.send_str(json.dumps({"after": middle}))
            messages = [json.loads(m.data) async for m in ws]
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await site.http.ws_connect(site.url + f"/answers/{answer_id}/ws?user=bob")
    assert [m["id"] for m in messages] == [f.seq for f in frames if f.seq > middle]
    assert messages[-1]["event"] == "done"
    assert messages[-1]["data"] == frames[-1].data
    assert refused.value.status == 404


def test_app_py_serves_on_port(tmp_path: pathlib.Path) -> None:
    """``python examples/fastapi_relay/app.py``: uvicorn on PORT, in-process relay, embedded fake."""
    replica = Replica("app-py", tmp_path, {"FAKE_EVENT_DELAY": "0"})
    try:
        replica.wait()
        status, health = http_json("GET", replica.url + "/healthz")
        assert (status, health["backend"]) == (200, "memory")
        status, body = http_json(
            "POST", replica.url + "/answers", {"question": QUESTION}, {"X-User": "ada"}
        )
        assert status == 201
        for _ in range(200):
            status, state = http_json(
                "GET", replica.url + f"/answers/{body['answer_id']}", headers={"X-User": "ada"}
            )
            if state["done"]:
                break
            anyio.run(anyio.sleep, 0.05)
        assert status == 200 and state["done"] is True
        assert [b["tag"] for b in state["blocks"]] == [
            "TextBlock", "PythonBlock", "OntologyBlock", "TextBlock"
        ]
        with urllib.request.urlopen(replica.url + "/", timeout=10) as page:
            assert page.headers["Content-Type"].startswith("text/html")
            assert b"new EventSource(" in page.read()
    finally:
        replica.stop()
    assert "fastapi relay: open http://127.0.0.1:" in replica.output()
