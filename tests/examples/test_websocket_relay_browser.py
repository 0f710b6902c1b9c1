"""examples/websocket_relay/app.py end to end in a real browser: Debian's headless Chromium.

The relay runs against FakeTextQL on 127.0.0.1; Playwright drives Chromium (Debian's
``/usr/bin/chromium``, never a downloaded build). On a machine without it the set-up tries
``apt-get update && apt-get install -y chromium`` once, and skips with the reason when that
cannot be done. ``UPDATE_SCREENSHOT=1`` (or a missing file) refreshes
``examples/websocket_relay/screenshot.png``, which the README shows.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import shutil
import socket
import sys
from collections.abc import AsyncIterator
from types import ModuleType
from typing import Any

import anyio
import pytest
from _apt import apt_install
from aiohttp import web

from textql_async.testing import FakeTextQL, final_blocks

RELAY_DIR = pathlib.Path(__file__).resolve().parents[2] / "examples" / "websocket_relay"
SCREENSHOT = RELAY_DIR / "screenshot.png"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
QUESTION = "Which store has the largest floor space?"
BROWSER_BUDGET = 30.0  # seconds for one test once Chromium is installed

# The set-up may install Chromium (a few minutes on a fresh machine); the tests themselves
# are bounded by BROWSER_BUDGET.
pytestmark = pytest.mark.timeout(900)

_install_attempt: dict[str, str | None] = {}


def _install_chromium() -> str | None:
    """Install Debian's chromium with apt-get; the reason it cannot be done, or None."""
    return apt_install("chromium")


def ensure_chromium() -> str:
    """Debian's Chromium, installed once per test run if missing; else skip with the reason."""
    if not os.path.exists(CHROMIUM):
        if "reason" not in _install_attempt:
            _install_attempt["reason"] = _install_chromium()
        reason = _install_attempt["reason"] or f"apt-get ran, but {CHROMIUM} is still missing"
        if not os.path.exists(CHROMIUM):
            pytest.skip(f"Debian's Chromium is missing and could not be installed: {reason}")
    return CHROMIUM


def load_relay() -> ModuleType:
    name = "websocket_relay_app"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, RELAY_DIR / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def chromium() -> str:
    return ensure_chromium()


@pytest.fixture
async def browser(chromium: str) -> AsyncIterator[Any]:
    try:
        from playwright.async_api import async_playwright
    except ImportError:  # pragma: no cover - the dev extra installs it
        pytest.skip("the playwright package is not installed (pip install -e '.[dev]')")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


class Site:
    def __init__(self, fake: FakeTextQL, url: str) -> None:
        self.fake = fake
        self.url = url

    def asked(self) -> list[str]:
        return [r.query["query"] for r in self.fake.requests if r.path == "/api/ana"]


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    """The relay app, on a free port, against a FakeTextQL answering with every block kind."""
    relay = load_relay()
    async with FakeTextQL(event_delay=0.02) as fake, fake.client() as client:
        fake.add_answer(lambda q: True, relay.answer_with_error)
        runner = web.AppRunner(relay.make_app(client), shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", free_port()).start()
            port = runner.addresses[0][1]
            yield Site(fake, f"http://127.0.0.1:{port}/")
        finally:
            await runner.cleanup()


READ_BLOCKS = """() => [...document.querySelectorAll('#answer > article.block')].map((el) => {
  const fields = {};
  for (const f of el.querySelectorAll('[data-field]')) {
    const name = f.getAttribute('data-field');
    if (name === 'results' || name === 'table') continue;
    (fields[name] = fields[name] || []).push(f.textContent);
  }
  const table = el.querySelector('table[data-field=table]');
  return {
    domId: el.id,
    blockId: el.getAttribute('data-block-id'),
    tag: el.getAttribute('data-tag'),
    version: Number(el.getAttribute('data-version')),
    fields,
    table: table ? [...table.rows].map((r) => [...r.cells].map((c) => c.textContent)) : null,
  };
})"""


def _cell(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def expected_blocks(question: str) -> list[dict[str, Any]]:
    """What the page must end with: the final version of each scripted block, in order."""
    relay = load_relay()
    expected: list[dict[str, Any]] = []
    for index, block in enumerate(final_blocks(relay.answer_with_error(question))):
        tag = block["tag"]
        fields: dict[str, list[str]] = {}
        table = None
        if tag in ("TextBlock", "ErrorBlock"):
            fields["contents"] = [block["contents"]]
        elif tag == "PythonBlock":
            fields["code"] = [block["contents"]]
            results = [r["contents"] for r in block.get("results") or []]
            if results:
                fields["result"] = results
        elif tag == "OntologyBlock":
            contents = block["contents"]
            result = contents["result"]
            fields["query"] = [contents["query"]]
            fields["sql"] = [result["sqlQuery"]]
            fields["summary"] = [result["oai_output"]]
            rows = result["sqlResult"]["result"]
            table = [rows["colNames"], *[[_cell(v) for v in row] for row in rows["resultVals"]]]
        expected.append(
            {
                "domId": f"block-{index}",
                "blockId": block.get("id") or "",
                "tag": tag,
                "fields": fields,
                "table": table,
            }
        )
    return expected


def without_version(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in b.items() if k != "version"} for b in blocks]


async def ask(page: Any, question: str) -> None:
    await page.fill("#question", question)
    await page.click("#send")


async def wait_done(page: Any) -> None:
    await page.wait_for_selector('#answer[data-done="true"]', timeout=BROWSER_BUDGET * 1000)


async def test_page_shows_the_scripted_answer(
    browser: Any, site: Site, tmp_path: pathlib.Path
) -> None:
    with anyio.fail_after(BROWSER_BUDGET):
        page = await browser.new_page(viewport={"width": 960, "height": 900})
        await page.goto(site.url)
        await page.wait_for_selector('#status[data-state="ready"]')
        await ask(page, QUESTION)
        await wait_done(page)
        blocks = await page.evaluate(READ_BLOCKS)
        chat_id = await page.get_attribute("#answer", "data-chat-id")
        status = await page.text_content("#status")
        shot = tmp_path / "relay.png"
        await page.screenshot(path=str(shot), full_page=True)
    expected = expected_blocks(QUESTION)
    assert [b["tag"] for b in expected] == [
        "TextBlock",
        "PythonBlock",
        "OntologyBlock",
        "ErrorBlock",
        "TextBlock",
        "TextBlock",
    ]
    assert without_version(blocks) == expected
    # the blocks grew in place on the page: several versions of one element, not re-created
    assert blocks[0]["version"] > 1 and blocks[-1]["version"] > 1
    assert site.asked() == [QUESTION]
    assert chat_id == site.fake.chats[0].chat_id
    assert status == f"Done · {len(expected)} blocks"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    if os.environ.get("UPDATE_SCREENSHOT") or not SCREENSHOT.exists():
        shutil.copyfile(shot, SCREENSHOT)


async def test_two_tabs_share_one_upstream_stream(browser: Any, site: Site) -> None:
    site.fake.event_delay = 0.04  # the answer streams for about a second
    with anyio.fail_after(BROWSER_BUDGET):
        first, second = await browser.new_page(), await browser.new_page()
        for page in (first, second):
            await page.goto(site.url)
            await page.wait_for_selector('#status[data-state="ready"]')
        await ask(first, QUESTION)
        await first.wait_for_selector("#answer > article.block")  # streaming now
        await ask(second, QUESTION)
        await wait_done(first)
        await wait_done(second)
        pages = [await page.evaluate(READ_BLOCKS) for page in (first, second)]
        shared = [await page.get_attribute("#answer", "data-shared") for page in (first, second)]
    assert site.asked() == [QUESTION]  # one upstream Ana stream for both tabs
    assert shared == ["false", "true"]
    expected = expected_blocks(QUESTION)
    assert without_version(pages[0]) == expected and without_version(pages[1]) == expected
    await site.fake.wait_for_streams_closed()


async def test_closing_the_only_tab_closes_the_upstream(browser: Any, site: Site) -> None:
    site.fake.event_delay = 0.1  # several seconds of answer left when the tab closes
    with anyio.fail_after(BROWSER_BUDGET):
        page = await browser.new_page()
        await page.goto(site.url)
        await page.wait_for_selector('#status[data-state="ready"]')
        await ask(page, QUESTION)
        await page.wait_for_selector("#answer > article.block")
        assert site.fake.active_streams == 1
        await page.close()
        await site.fake.wait_for_streams_closed(timeout=5)
    assert site.asked() == [QUESTION]
