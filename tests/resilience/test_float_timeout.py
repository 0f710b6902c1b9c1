"""``timeout=0.5`` bounds the whole call, as in openai-python: ask() fails in about 0.5 s."""

from __future__ import annotations

import time

import pytest

from textql_async import APITimeoutError, Timeout
from textql_async._config import as_timeout
from textql_async.testing import Delay, FakeTextQL, Stall

BOUND = 0.5
SLACK = 1.0  # loaded CI machines: generous, but far below what the old semantics took


def test_a_number_is_the_total_bound() -> None:
    assert as_timeout(0.5) == Timeout(total=0.5)
    assert as_timeout(2) == Timeout(total=2.0)
    assert as_timeout(None) == Timeout()
    with pytest.raises(TypeError):
        as_timeout("0.5")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        as_timeout(-1)


async def _timed_failure(call: object) -> float:
    start = time.monotonic()
    with pytest.raises(APITimeoutError):
        await call  # type: ignore[misc]
    return time.monotonic() - start


async def test_ask_against_a_slow_answer_fails_in_about_the_bound() -> None:
    # every event comes well within read/idle, but the whole answer takes ~3 s
    async with FakeTextQL(event_delay=0.1) as fake, fake.client() as client:
        elapsed = await _timed_failure(client.ana.ask("Which store is the largest?", timeout=BOUND))
    assert BOUND - 0.05 <= elapsed < BOUND + SLACK, elapsed


async def test_ask_against_slow_headers_fails_in_about_the_bound() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        fake.inject(Delay(5), times=None)
        elapsed = await _timed_failure(client.ana.ask("q", timeout=BOUND))
    assert BOUND - 0.05 <= elapsed < BOUND + SLACK, elapsed


async def test_a_stalled_answer_is_not_recovered_past_the_bound() -> None:
    async with FakeTextQL(answer_completes_after=10) as fake, fake.client() as client:
        fake.inject(Stall(after_events=4))
        elapsed = await _timed_failure(client.ana.ask("q", timeout=BOUND))
    assert BOUND - 0.05 <= elapsed < BOUND + SLACK, elapsed


async def test_the_client_default_and_ordinary_requests() -> None:
    async with FakeTextQL() as fake, fake.client(timeout=BOUND) as client:
        assert client.timeout == Timeout(total=BOUND)
        fake.inject(Delay(5), times=None)
        elapsed = await _timed_failure(client.ana.chat_summaries())
        assert elapsed < BOUND + SLACK
        elapsed = await _timed_failure(client.chats.list(timeout=0.3))
        assert 0.25 <= elapsed < 0.3 + SLACK


async def test_a_fast_answer_within_the_bound_succeeds() -> None:
    async with FakeTextQL() as fake, fake.client() as client:
        result = await client.ana.ask("q", timeout=5.0)
    assert result.answer
