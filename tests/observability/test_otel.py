"""OpenTelemetry spans, span events and metrics of API calls (in-memory SDK exporters)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from _otel_kit import Otel
from opentelemetry.trace import SpanKind, StatusCode

from textql_async import NotFoundError, RetryPolicy
from textql_async.testing import DropAfter, FakeTextQL, HTTPError, ScriptEvent

FAST = RetryPolicy(max_retries=2, base=0.01, cap=0.02)
HEADER: list[ScriptEvent] = [("chatId", "chat-o"), ("userMsgId", 1), ("assistantMsgId", 2)]
SCRIPT: list[ScriptEvent] = [
    *HEADER,
    ("block", {"tag": "TextBlock", "contents": "Thinking", "id": "t1"}),
    ("block", {"tag": "ErrorBlock", "contents": "warehouse timed out", "id": "e1"}),
    ("block", {"tag": "TextBlock", "contents": "Store 7 is the largest.", "id": "t2"}),
    ("message", "done"),
]


def _one(otel: Otel, name: str) -> object:
    spans = otel.finished(name)
    assert len(spans) == 1, [s.name for s in otel.finished()]
    return spans[0]


async def test_ask_span_attributes_events_and_metrics(otel: Otel) -> None:
    async with FakeTextQL() as fake, fake.client(retry_policy=FAST, **otel.kwargs()) as client:
        fake.add_answer("biggest?", SCRIPT)
        result = await client.ana.ask("biggest?")
    span = _one(otel, "textql ana.ask")
    attrs = dict(span.attributes)
    assert span.kind is SpanKind.CLIENT
    assert attrs["http.request.method"] == "GET"
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["server.port"] == fake.port
    assert attrs["url.full"].startswith(f"http://127.0.0.1:{fake.port}/api/ana?query=biggest")
    assert attrs["http.response.status_code"] == 200
    assert attrs["textql.chat_id"] == "chat-o" == result.chat_id
    assert attrs["textql.retry_count"] == 0
    assert attrs["textql.recovered"] is False
    assert attrs["textql.stream.events"] == len(SCRIPT)
    assert attrs["textql.stream.blocks"] == 3
    assert attrs["textql.stream.bytes"] > 200
    assert 0 <= attrs["textql.stream.time_to_first_block_ms"] < 10_000
    assert "error.type" not in attrs
    assert span.status.status_code is StatusCode.UNSET  # an ErrorBlock is data, not a failure
    events = [(e.name, dict(e.attributes)) for e in span.events]
    assert events == [
        ("textql.error_block", {"textql.error_block.contents": "warehouse timed out"})
    ]
    # no secret anywhere in the span
    rendered = repr(attrs) + repr(events)
    assert fake.api_key not in rendered and fake.member_id not in rendered

    (duration,) = otel.points("textql.client.duration")
    assert duration.count == 1
    assert dict(duration.attributes) == {
        "textql.operation": "ana.ask",
        "server.address": "127.0.0.1",
        "server.port": fake.port,
        "http.response.status_code": 200,
    }
    (first,) = otel.points("textql.client.time_to_first_block")
    assert first.count == 1 and 0 <= first.sum < 10
    assert otel.points("textql.client.errors") == []
    assert otel.points("textql.client.retries") == []


async def test_a_stream_that_retried(otel: Otel) -> None:
    async with FakeTextQL() as fake, fake.client(retry_policy=FAST, **otel.kwargs()) as client:
        fake.inject(HTTPError(503), times=2, path="/api/ana")
        async with client.ana.stream("Which store?") as stream:
            await stream.final()
    span = _one(otel, "textql ana.stream")
    attrs = dict(span.attributes)
    assert attrs["textql.retry_count"] == 2
    assert attrs["http.response.status_code"] == 200
    assert attrs["textql.stream.blocks"] > 0
    retries = [dict(e.attributes) for e in span.events if e.name == "textql.retry"]
    assert [r["textql.retry.attempt"] for r in retries] == [1, 2]
    assert all(r["textql.retry.reason"] == "HTTP 503" for r in retries)
    assert all(0 <= r["textql.retry.wait_s"] <= FAST.cap for r in retries)
    (counter,) = otel.points("textql.client.retries")
    assert counter.value == 2
    assert dict(counter.attributes)["textql.retry.reason"] == "HTTP 503"
    assert dict(counter.attributes)["textql.operation"] == "ana.stream"


async def test_a_recovered_answer(otel: Otel) -> None:
    async with FakeTextQL() as fake, fake.client(retry_policy=FAST, **otel.kwargs()) as client:
        fake.add_answer("q", SCRIPT)
        fake.inject(DropAfter(events=4))
        result = await client.ana.ask("q")
    assert result.recovered
    ask = _one(otel, "textql ana.ask")
    assert dict(ask.attributes)["textql.recovered"] is True
    assert dict(ask.attributes)["textql.chat_id"] == "chat-o"
    fetches = otel.finished("textql ana.chat_messages")
    assert fetches, "recovery polls the chat history"
    assert all(f.parent is not None and f.parent.span_id == ask.context.span_id for f in fetches)
    assert all(f.context.trace_id == ask.context.trace_id for f in fetches)
    (recovered,) = otel.points("textql.client.recovered")
    assert recovered.value == 1
    assert dict(recovered.attributes)["textql.operation"] == "ana.ask"


async def test_a_404(otel: Otel) -> None:
    async with FakeTextQL() as fake, fake.client(retry_policy=FAST, **otel.kwargs()) as client:
        with pytest.raises(NotFoundError):
            await client.chats.get("no-such-chat")
    span = _one(otel, "textql chats.get")
    attrs = dict(span.attributes)
    assert attrs["http.response.status_code"] == 404
    assert attrs["error.type"] == "NotFoundError"
    assert attrs["url.full"] == f"http://127.0.0.1:{fake.port}/v2/chats/no-such-chat"
    assert span.status.status_code is StatusCode.ERROR
    (errors,) = otel.points("textql.client.errors")
    assert errors.value == 1
    assert dict(errors.attributes)["error.type"] == "NotFoundError"
    (duration,) = otel.points("textql.client.duration")
    assert dict(duration.attributes)["error.type"] == "NotFoundError"


async def test_span_names_follow_the_resource_and_method(otel: Otel) -> None:
    async with FakeTextQL() as fake, fake.client(**otel.kwargs()) as client:
        await client.chats.list()
        await client.models.list()
        await client.partner.spaces.list()
        await client.v1.chats.list()
    names = [s.name for s in otel.finished()]
    assert names == [
        "textql chats.list",
        "textql models.list",
        "textql partner.spaces.list",
        "textql v1.chats.list",
    ]


async def test_traceparent_is_injected_and_can_be_turned_off(otel: Otel) -> None:
    async with FakeTextQL() as fake:
        async with fake.client(**otel.kwargs()) as client:
            await client.models.list()
        span = _one(otel, "textql models.list")
        sent = fake.requests[-1].headers.get("traceparent")
        ctx = span.context
        assert sent == f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"
        assert ctx.trace_flags.sampled
        async with fake.client(propagate_trace=False, **otel.kwargs()) as client:
            await client.models.list()
        assert "traceparent" not in fake.requests[-1].headers


async def test_no_provider_means_no_span_and_no_traceparent() -> None:
    # the global providers are never set in this test process: nothing is recorded or sent
    async with FakeTextQL() as fake, fake.client() as client:
        result = await client.ana.ask("q")
        assert result.answer
    assert all("traceparent" not in r.headers for r in fake.requests)


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=50,
        env={**os.environ, **env},
        check=False,
    )


def test_the_global_providers_are_used_when_set() -> None:
    done = _run(
        """
        import asyncio
        from opentelemetry import trace, metrics
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from textql_async.testing import FakeTextQL

        exporter, reader = InMemorySpanExporter(), InMemoryMetricReader()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))

        async def main():
            async with FakeTextQL() as fake, fake.client() as client:
                await client.ana.ask("q")
                tracer = trace.get_tracer("app")
                with tracer.start_as_current_span("handler") as parent:
                    await client.models.list()
            ask, models, handler = exporter.get_finished_spans()
            assert ask.name == "textql ana.ask", ask.name
            assert models.parent.span_id == parent.get_span_context().span_id
            names = {m.name for rm in reader.get_metrics_data().resource_metrics
                     for sm in rm.scope_metrics for m in sm.metrics}
            assert "textql.client.duration" in names, names
            print("ok")

        asyncio.run(main())
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_works_without_the_otel_extra() -> None:
    done = _run(
        """
        import asyncio, sys
        sys.modules["opentelemetry"] = None  # as if opentelemetry-api were not installed
        from textql_async.testing import FakeTextQL

        async def main():
            async with FakeTextQL() as fake, fake.client() as client:
                result = await client.ana.ask("q")
                assert result.answer
                await client.models.list()
            assert all("traceparent" not in r.headers for r in fake.requests)
            assert not any(name.startswith("opentelemetry.") for name in sys.modules)
            print("ok")

        asyncio.run(main())
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
