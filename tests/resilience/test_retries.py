"""Retries: which failures are retried, how long we wait, and what is never re-sent."""

from __future__ import annotations

import email.utils
import random
import socket
import time
from collections.abc import Iterator

import aiohttp
import anyio
import pytest
from _kit import FAST, ana_requests, client, requests_to

from textql_async import (
    APIConnectionError,
    APIError,
    AsyncTextQL,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    StreamError,
    UnprocessableEntityError,
)
from textql_async.testing import Disconnect, DropAfter, FakeTextQL, HTTPError, Truncate

SUMMARY = "/api/ana/chat/summary"


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Record every ``anyio.sleep`` the SDK asks for, without sleeping."""
    recorded: list[float] = []
    real_sleep = anyio.sleep

    async def fake_sleep(delay: float) -> None:
        recorded.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(anyio, "sleep", fake_sleep)
    yield recorded


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- what is retried -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
async def test_retryable_statuses_are_retried_until_success(status: int) -> None:
    async with FakeTextQL() as fake:
        fake.inject(HTTPError(status), times=2, path=SUMMARY)
        async with client(fake) as c:
            assert await c.ana.chat_summaries() == []
        assert requests_to(fake, SUMMARY) == 3


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (422, UnprocessableEntityError),
        (418, APIError),
    ],
)
async def test_client_errors_are_not_retried(status: int, error: type[APIError]) -> None:
    async with FakeTextQL() as fake:
        fake.inject(HTTPError(status), times=None, path=SUMMARY)
        async with client(fake) as c:
            with pytest.raises(error) as info:
                await c.ana.chat_summaries()
        assert info.value.status == status
        assert requests_to(fake, SUMMARY) == 1


async def test_exhausted_retries_raise_the_typed_error() -> None:
    async with FakeTextQL() as fake:
        fake.inject(HTTPError(503), times=None, path=SUMMARY)
        async with client(fake) as c:
            with pytest.raises(ServerError) as info:
                await c.ana.chat_summaries()
        assert info.value.status == 503
        assert info.value.request_id is not None
        assert requests_to(fake, SUMMARY) == 1 + FAST.max_retries


async def test_per_call_max_retries_overrides_the_client() -> None:
    async with FakeTextQL() as fake:
        fake.inject(HTTPError(503), times=1, path=SUMMARY)
        async with client(fake) as c:
            with pytest.raises(ServerError):
                await c.ana.chat_summaries(max_retries=0)
        assert requests_to(fake, SUMMARY) == 1

        fake.inject(HTTPError(503), times=3, path=SUMMARY)
        never = RetryPolicy(max_retries=0, base=0.01, cap=0.05)
        async with client(fake, retry_policy=never) as c:
            assert await c.ana.chat_summaries(max_retries=3) == []
        assert requests_to(fake, SUMMARY) == 1 + 4


async def test_max_retries_argument_of_the_client() -> None:
    async with FakeTextQL() as fake:
        fake.inject(HTTPError(503, headers={"Retry-After": "0"}), times=None, path=SUMMARY)
        async with fake.client(max_retries=1) as c:
            assert c.max_retries == 1
            with pytest.raises(ServerError):
                await c.ana.chat_summaries()
        assert requests_to(fake, SUMMARY) == 2


async def test_x_should_retry_false_stops_a_retryable_status() -> None:
    async with FakeTextQL() as fake:
        fake.inject(HTTPError(503, headers={"x-should-retry": "false"}), path=SUMMARY)
        async with client(fake) as c:
            with pytest.raises(ServerError):
                await c.ana.chat_summaries()
        assert requests_to(fake, SUMMARY) == 1


async def test_x_should_retry_true_retries_any_status() -> None:
    async with FakeTextQL() as fake:
        fake.inject(HTTPError(400, headers={"x-should-retry": "true"}), path=SUMMARY)
        async with client(fake) as c:
            assert await c.ana.chat_summaries() == []
        assert requests_to(fake, SUMMARY) == 2


async def test_connection_error_before_an_answer_is_retried() -> None:
    async with FakeTextQL() as fake:
        # aiohttp re-sends a GET once by itself, so two hang-ups make one failed attempt
        fake.inject(Disconnect(), times=2, path=SUMMARY)
        async with client(fake) as c:
            assert await c.ana.chat_summaries() == []
        assert requests_to(fake, SUMMARY) == 3


async def test_connection_refused_is_retried_then_wrapped(sleeps: list[float]) -> None:
    async with AsyncTextQL("key", "member", f"http://127.0.0.1:{_closed_port()}", retry_policy=FAST) as c:
        with pytest.raises(APIConnectionError) as info:
            await c.ana.ask("anyone there?")
    assert isinstance(info.value.__cause__, aiohttp.ClientConnectorError)
    assert len(sleeps) == FAST.max_retries


# -- streams: retried only before an answer started --------------------------------------------


async def test_stream_error_status_before_any_event_is_retried() -> None:
    async with FakeTextQL() as fake:
        fake.inject(HTTPError(429, headers={"Retry-After": "0"}), path="/api/ana")
        fake.inject(HTTPError(502, b"<html>Bad Gateway</html>", content_type="text/html"))
        async with client(fake) as c:
            result = await c.ana.ask("retry me")
        assert result.answer and not result.recovered
        assert ana_requests(fake) == 3
        assert len(fake.chats) == 1  # Ana was asked exactly once


async def test_stream_connection_error_before_a_response_is_retried() -> None:
    async with FakeTextQL() as fake:
        fake.inject(Disconnect(), times=2, path="/api/ana")
        async with client(fake) as c:
            result = await c.ana.ask("retry me")
        assert result.answer and not result.recovered
        assert len(fake.chats) == 1


@pytest.mark.parametrize(
    "fault",
    [DropAfter(), DropAfter(events=0), DropAfter(events=6), DropAfter(bytes=200), Truncate(0)],
    ids=repr,
)
async def test_a_200_stream_that_breaks_is_never_re_requested(fault: object) -> None:
    async with FakeTextQL() as fake:
        fake.inject(fault)  # type: ignore[arg-type]
        async with client(fake) as c:
            with pytest.raises((StreamError, APIConnectionError)):
                await c.ana.ask("only once", recover=False)
            with pytest.raises((StreamError, APIConnectionError)):
                fake.inject(fault)  # type: ignore[arg-type]
                async with c.ana.stream("only once too") as stream:
                    await stream.final()
        assert ana_requests(fake) == 2
        assert len(fake.chats) == 2


# -- non-idempotent requests (through the transport: no public POST endpoint exists yet) ------


async def test_post_is_not_retried_after_it_was_sent() -> None:
    async with FakeTextQL() as fake:
        fake.inject(HTTPError(503), times=None, path=SUMMARY)
        async with client(fake) as c:
            with pytest.raises(ServerError):
                await c._transport.request("POST", SUMMARY, json={"x": 1}, auth="ana")
        assert requests_to(fake, SUMMARY) == 1

        fake.clear_faults()
        fake.inject(Disconnect(), times=None, path=SUMMARY)
        async with client(fake) as c:
            with pytest.raises(APIConnectionError) as info:
                await c._transport.request("POST", SUMMARY, json={"x": 1}, auth="ana")
        assert isinstance(info.value.__cause__, aiohttp.ClientError)
        assert requests_to(fake, SUMMARY) == 2  # one more: neither we nor aiohttp re-sent it


async def test_post_is_retried_when_it_never_left(sleeps: list[float]) -> None:
    async with AsyncTextQL("key", "member", f"http://127.0.0.1:{_closed_port()}", retry_policy=FAST) as c:
        with pytest.raises(APIConnectionError):
            await c._transport.request("POST", "/v1/things", json={})
    assert len(sleeps) == FAST.max_retries


# -- how long we wait ----------------------------------------------------------------------------


async def test_backoff_is_full_jitter_within_base_and_cap(sleeps: list[float]) -> None:
    policy = RetryPolicy(max_retries=4, base=0.5, cap=1.5)
    async with FakeTextQL() as fake:
        fake.inject(HTTPError(503), times=None, path=SUMMARY)
        async with client(fake, retry_policy=policy) as c:
            with pytest.raises(ServerError):
                await c.ana.chat_summaries()
    assert len(sleeps) == 4
    for attempt, delay in enumerate(sleeps):
        assert 0 <= delay <= min(1.5, 0.5 * 2**attempt)


def test_retry_policy_backoff_spreads_over_the_whole_range() -> None:
    policy = RetryPolicy(max_retries=5, base=0.5, cap=8.0)
    rng = random.Random(4)
    for attempt, ceiling in enumerate([0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]):
        samples = [policy.backoff(attempt, rng) for _ in range(2000)]
        assert all(0 <= s <= ceiling for s in samples)
        assert min(samples) < ceiling * 0.05  # full jitter: can retry almost at once
        assert max(samples) > ceiling * 0.95
    assert RetryPolicy().base == 0.5 and RetryPolicy().cap == 8.0 and RetryPolicy().max_retries == 2
    with pytest.raises(ValueError):
        RetryPolicy(max_retries=-1)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after-ms": "250"}, 0.25),
        ({"Retry-After": "0"}, 0.0),
    ],
)
async def test_retry_after_is_honoured(
    sleeps: list[float], headers: dict[str, str], expected: float
) -> None:
    async with FakeTextQL() as fake:
        fake.inject(HTTPError(429, headers=headers), path=SUMMARY)
        async with client(fake) as c:
            assert await c.ana.chat_summaries() == []
    assert sleeps == [pytest.approx(expected)]


async def test_retry_after_http_date_is_honoured(sleeps: list[float]) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    async with FakeTextQL() as fake:
        fake.inject(HTTPError(503, headers={"Retry-After": when}), path=SUMMARY)
        async with client(fake) as c:
            assert await c.ana.chat_summaries() == []
    assert len(sleeps) == 1
    assert 28.0 <= sleeps[0] <= 30.5


async def test_retry_after_real_wait_is_short_and_observed() -> None:
    async with FakeTextQL() as fake:
        fake.inject(HTTPError(429, headers={"retry-after-ms": "100"}), path=SUMMARY)
        async with client(fake) as c:
            started = time.monotonic()
            assert await c.ana.chat_summaries() == []
            elapsed = time.monotonic() - started
    assert 0.09 <= elapsed < 2.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"Retry-After": "0"}, 0.0), ({"retry-after-ms": "5"}, 0.005)],
)
async def test_rate_limit_error_exposes_retry_after_when_exhausted(
    headers: dict[str, str], expected: float
) -> None:
    async with FakeTextQL() as fake:
        fake.inject(HTTPError(429, headers=headers), times=None, path="/api/ana")
        async with client(fake) as c:
            with pytest.raises(RateLimitError) as info:
                await c.ana.ask("too many")
        assert info.value.status == 429
        assert info.value.retry_after == pytest.approx(expected)
        assert ana_requests(fake) == 1 + FAST.max_retries
        assert fake.chats == []
