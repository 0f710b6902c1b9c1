"""The fastapi_relay page in Debian's headless Chromium: EventSource survives a cut connection.

Two replicas on one Redis sit behind a small TCP load balancer of this test. The balancer
sends the page's first event stream to replica A and CLOSES it after a few events, mid-answer
(what a proxy timeout or a deploy does); the browser's ``EventSource`` reconnects by itself
with ``Last-Event-ID``, lands on replica B, and the page ends with the full answer: every
event id once, in order, and the blocks of the fake's script. Ana was asked once.
Chromium is installed like in ``tests/examples/test_websocket_relay_browser.py`` (apt-get when
missing). ``UPDATE_SCREENSHOT=1`` (or a missing file) refreshes
``examples/fastapi_relay/screenshot.png``, which the README shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pathlib
import re
import shutil
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from _fastapi_relay_kit import ROOT, FakeProcess, Replica, http_json, load, typed

SCREENSHOT = ROOT / "examples" / "fastapi_relay" / "screenshot.png"
QUESTION = "Which store has the largest floor space?"
CUT_AFTER = 6  # events the first stream carries before the balancer closes it
BROWSER_BUDGET = 45.0

pytestmark = pytest.mark.timeout(900)  # the set-up may install Chromium and redis-server


def browser_kit() -> Any:
    return load(ROOT / "tests" / "examples" / "test_websocket_relay_browser.py", "_ws_relay_browser")


class Balancer:
    """A TCP proxy: event streams alternate A, B, A...; the first one is cut after CUT_AFTER ids."""

    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self.streams = 0
        self.cuts = 0
        self.event_requests: list[tuple[int, bytes]] = []  # (backend port, request head)
        self.server: asyncio.Server | None = None
        self.port = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> Balancer:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            first = await reader.read(65536)
            if not first:
                return
            is_events = first.startswith(b"GET /answers/") and b"/events" in first.split(b"\r\n", 1)[0]
            cut = False
            port = self.backends[0]
            if is_events:
                port = self.backends[self.streams % len(self.backends)]
                cut = self.streams == 0
                self.streams += 1
                self.event_requests.append((port, first))
            # one request per connection, so each event stream is its own connection to route
            line, _, rest = first.partition(b"\r\n")
            rest = re.sub(rb"(?im)^connection:[^\r\n]*\r\n", b"", rest)
            first = line + b"\r\nConnection: close\r\n" + rest
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                await self._pipe(reader, writer, up_reader, up_writer, first, cut)
            finally:
                up_writer.close()
                with contextlib.suppress(Exception):
                    await up_writer.wait_closed()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            self._tasks.discard(task)

    async def _pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader,
        up_writer: asyncio.StreamWriter,
        first: bytes,
        cut: bool,
    ) -> None:
        up_writer.write(first)
        await up_writer.drain()

        async def upstream() -> None:
            while data := await reader.read(65536):
                up_writer.write(data)
                await up_writer.drain()

        async def downstream() -> None:
            seen = 0
            while data := await up_reader.read(65536):
                writer.write(data)
                await writer.drain()
                seen += data.count(b"\nid: ") + data.startswith(b"id: ")
                if cut and seen >= CUT_AFTER:  # mid-answer: close it, as a proxy would
                    self.cuts += 1
                    return

        pumps = [asyncio.ensure_future(upstream()), asyncio.ensure_future(downstream())]
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        for pump in pumps:
            pump.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)


READ_BLOCKS = """() => [...document.querySelectorAll('#answer > article.block')].map((el) => ({
  index: Number(el.dataset.index), id: el.getAttribute('data-block-id'),
  tag: el.getAttribute('data-tag'), text: el.querySelector('[data-field=contents], [data-field=code]')?.textContent ?? null,
}))"""


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    kit = browser_kit()
    chromium = kit.ensure_chromium()
    try:
        from playwright.async_api import async_playwright
    except ImportError:  # pragma: no cover - the dev extra installs it
        pytest.skip("the playwright package is not installed (pip install -e '.[dev]')")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=kit.CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


async def test_event_source_survives_a_cut_and_lands_on_the_other_replica(
    browser: Any,
    replicas: tuple[Replica, Replica],
    fake_process: FakeProcess,
    tmp_path: pathlib.Path,
) -> None:
    a, b = replicas
    http_json("POST", fake_process.control + "/event_delay?seconds=0.06")  # ~2 s of answer
    async with Balancer([a.port, b.port]) as balancer:
        with anyio.fail_after(BROWSER_BUDGET):
            page = await browser.new_page(viewport={"width": 960, "height": 1000})
            await page.goto(f"http://127.0.0.1:{balancer.port}/?user=ada")
            await page.fill("#question", QUESTION)
            await page.click("#send")
            await page.wait_for_selector('#answer[data-done="true"]', timeout=BROWSER_BUDGET * 1000)
            seqs = await page.evaluate("() => window.relaySeqs")
            opens = await page.evaluate("() => window.relayOpens")
            resumed_after = await page.evaluate("() => window.relayResumedAfter")
            seen_before = await page.evaluate("() => window.relaySeenBeforeResume")
            blocks = await page.evaluate(READ_BLOCKS)
            answer_id = await page.get_attribute("#answer", "data-answer-id")
            resume = await page.text_content("#resume")
            status = await page.text_content("#status")
            shot = tmp_path / "fastapi-relay.png"
            await page.screenshot(path=str(shot), full_page=True)
    assert balancer.cuts == 1 and opens >= 2  # cut once, reconnected by itself
    assert [port for port, _ in balancer.event_requests[:2]] == [a.port, b.port]
    second = balancer.event_requests[1][1].decode().lower()
    assert 1 <= seen_before < len(seqs) and seqs[seen_before - 1] == resumed_after  # mid-answer
    assert f"last-event-id: {resumed_after}" in second  # resumed after the last one it saw
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # every id once, in order
    assert resume and "reconnected" in resume
    state = http_json("GET", b.url + f"/answers/{answer_id}", headers={"X-User": "ada"})[1]
    (chat,) = [c for c in fake_process.chats() if c["chat_id"] == state["chat_id"]]
    expected = chat["script"]
    assert typed(state["blocks"]) == typed(expected)
    assert [(x["id"], x["tag"]) for x in blocks] == [(x.get("id") or "", x["tag"]) for x in expected]
    assert blocks[0]["text"] == expected[0]["contents"]
    assert blocks[-1]["text"] == expected[-1]["contents"]
    assert status == f"Done · {len(expected)} blocks"
    assert fake_process.asks(QUESTION) == 1
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("UPDATE_SCREENSHOT") or not SCREENSHOT.exists():
        shutil.copyfile(shot, SCREENSHOT)
