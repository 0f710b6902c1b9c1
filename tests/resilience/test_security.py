"""The API key never leaks (repr, errors, DEBUG logs, CLI), and plain http:// is flagged."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import socket
from typing import Any

import aiohttp
import pytest
from _kit import client
from aiohttp.abc import AbstractResolver, ResolveResult

from textql_async import APIError, AsyncTextQL, AuthenticationError, StreamError, TextQLError
from textql_async.cli import main
from textql_async.testing import DropAfter, FakeTextQL, HTTPError

SECRET = "sk-resilience-secret-9f8e7d6c5b4a"
MEMBER = "member-sec"
TOKEN = base64.b64encode(f"{MEMBER}:{SECRET}".encode()).decode()


def _leaks(text: str, forbidden: tuple[str, ...] = (SECRET,)) -> list[str]:
    return [secret for secret in forbidden if secret in text]


def _echo(status: int, where: str = "message") -> HTTPError:
    """A server error whose body echoes the credentials back (some proxies do)."""
    if where == "html":
        body = f"<html><title>Denied Bearer {SECRET}</title><p>{TOKEN}</p></html>".encode()
        return HTTPError(status, body, content_type="text/html")
    body = json.dumps({"error": {"code": "bad", "message": f"bad key {SECRET} / Basic {TOKEN}"}})
    return HTTPError(status, body.encode())


async def test_repr_of_the_client_hides_the_key() -> None:
    async with FakeTextQL(SECRET, MEMBER) as fake:
        async with client(fake) as c:
            assert _leaks(repr(c)) == [] and _leaks(str(c)) == []
            assert "***" in repr(c)


@pytest.mark.parametrize(
    "fault",
    [_echo(400), _echo(401), _echo(503), _echo(403, "html"), _echo(200, "html")],
    ids=["400", "401", "503", "403-html", "200-html"],
)
async def test_error_messages_never_contain_the_key(fault: HTTPError) -> None:
    async with FakeTextQL(SECRET, MEMBER) as fake:
        fake.inject(fault, times=None)
        async with client(fake) as c:
            with pytest.raises(APIError) as info:
                await c.ana.ask("q")
            with pytest.raises(APIError) as info2:
                await c.ana.chat_summaries()
    for error in (info.value, info2.value):
        assert _leaks(str(error)) == []
        assert _leaks(repr(error)) == []
        assert _leaks(error.message) == []
        assert str(error)  # still says what went wrong


@pytest.mark.parametrize("status", [400, 401, 503])
async def test_an_echoed_basic_auth_token_is_redacted_too(status: int) -> None:
    # base64(member_id:api_key) is the key in another spelling: anyone can decode it
    async with FakeTextQL(SECRET, MEMBER) as fake:
        fake.inject(_echo(status), times=None)
        async with client(fake) as c:
            with pytest.raises(APIError) as info:
                await c.ana.chat_summaries()
    assert _leaks(str(info.value), (SECRET, TOKEN)) == []
    assert _leaks(repr(info.value), (SECRET, TOKEN)) == []


async def test_wrong_key_error_does_not_echo_the_wrong_key() -> None:
    async with FakeTextQL("right-key", MEMBER) as fake:
        async with client(fake, api_key=SECRET, member_id=MEMBER) as c:
            with pytest.raises(AuthenticationError) as info:
                await c.ana.ask("q")
    assert _leaks(str(info.value)) == [] and _leaks(repr(info.value)) == []


async def test_debug_logs_never_contain_the_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with FakeTextQL(SECRET, MEMBER) as fake:
        fake.inject(HTTPError(429, headers={"Retry-After": "0"}), path="/api/ana")
        fake.inject(DropAfter(events=8))
        async with client(fake) as c:
            # a retry, a drop and a recovery (a short window keeps it fast): lots of logging
            result = await c.ana.ask("q", recover_stable_for=0.2)
            assert result.recovered
            fake.inject(_echo(401), times=None)
            with pytest.raises(TextQLError):
                await c.ana.ask("q", recover=False)
            with pytest.raises(TextQLError):
                await c.ana.chat_summaries()
    records = [r for r in caplog.records if r.name.startswith("textql_async")]
    assert records, "expected DEBUG records from the textql_async logger"
    for record in caplog.records:
        text = record.getMessage() + repr(record.args) + str(record.__dict__.get("exc_text"))
        assert _leaks(text, (SECRET, TOKEN)) == [], record.getMessage()
    sent = [r for r in records if "Authorization" in r.getMessage()]
    assert all("redacted" in r.getMessage().lower() for r in sent)


async def test_stream_error_messages_never_contain_the_key() -> None:
    async with FakeTextQL(SECRET, MEMBER) as fake:
        fake.inject(DropAfter(events=4))
        async with client(fake) as c:
            with pytest.raises(StreamError) as info:
                await c.ana.ask("q", recover=False)
    assert _leaks(str(info.value)) == [] and _leaks(repr(info.value)) == []


async def test_cli_output_never_contains_the_key(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TEXTQL_API_KEY", "TEXTQL_MEMBER_ID", "TEXTQL_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    async with FakeTextQL(SECRET, MEMBER) as fake:
        argv = ["--base-url", fake.url, "--api-key", SECRET, "--member-id", MEMBER]
        codes = [await asyncio.to_thread(main, ["ask", "q", *argv])]
        codes.append(await asyncio.to_thread(main, ["ask", "q", "--json", *argv]))
        fake.inject(_echo(401), times=None)
        codes.append(await asyncio.to_thread(main, ["chats", *argv]))
        codes.append(await asyncio.to_thread(main, ["ask", "q", *argv]))
        fake.clear_faults()
        bad = ["--base-url", fake.url, "--api-key", SECRET, "--member-id", "nobody"]
        codes.append(await asyncio.to_thread(main, ["ask", "q", *bad]))
    captured = capsys.readouterr()
    assert codes == [0, 0, 1, 1, 1]
    assert _leaks(captured.out) == [] and _leaks(captured.err) == []


class _EverythingIsLoopback(AbstractResolver):
    """Resolve any host name to 127.0.0.1, so a non-loopback URL reaches the fake offline."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        return None


def _plain_http_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "textql_async" and r.levelno == logging.WARNING and "http" in r.getMessage()
    ]


async def test_plain_http_to_a_remote_host_warns_once_per_client(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with FakeTextQL(SECRET, MEMBER) as fake:
        connector = aiohttp.TCPConnector(resolver=_EverythingIsLoopback())
        async with aiohttp.ClientSession(connector=connector) as session:
            kwargs: dict[str, Any] = {"session": session}
            url = f"http://example.invalid:{fake.port}"
            async with AsyncTextQL(SECRET, MEMBER, url, **kwargs) as c:
                assert (await c.ana.ask("q")).answer
                await c.ana.chat_summaries()
                await c.ana.ask("q")
            assert len(_plain_http_warnings(caplog)) == 1
            assert _leaks(caplog.text) == []
            async with AsyncTextQL(SECRET, MEMBER, url, **kwargs) as c:
                await c.ana.chat_summaries()
            assert len(_plain_http_warnings(caplog)) == 2  # once per client
            assert not session.closed  # a session the user passed is never closed


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_plain_http_to_loopback_does_not_warn(
    caplog: pytest.LogCaptureFixture, host: str
) -> None:
    caplog.set_level(logging.DEBUG)
    async with FakeTextQL(SECRET, MEMBER) as fake:
        async with AsyncTextQL(SECRET, MEMBER, f"http://{host}:{fake.port}") as c:
            assert (await c.ana.ask("q")).answer
    assert _plain_http_warnings(caplog) == []


async def test_https_does_not_warn(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with AsyncTextQL(SECRET, MEMBER, "https://app.textql.example") as c:
        assert _leaks(repr(c)) == []
    assert _plain_http_warnings(caplog) == []
