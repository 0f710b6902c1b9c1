"""Trace and measure TextQL calls with OpenTelemetry, and audit every attempt with hooks.

Needs ``pip install 'textql-async[otel]' opentelemetry-sdk`` (the SDK and exporter are
the application's choice; a real service would export OTLP instead of printing).
Runs against the embedded fake server when no TEXTQL_API_KEY is set; the fake fails the
first attempt with a 503 so a retry shows up in the trace.
"""

import asyncio
import os
import sys

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from textql_async import AsyncTextQL, ResponseInfo, RetryPolicy
from textql_async.testing import FakeTextQL, HTTPError

spans = InMemorySpanExporter()
tracer_provider = TracerProvider()
tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
trace.set_tracer_provider(tracer_provider)
reader = InMemoryMetricReader()
metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))


async def audit(info: ResponseInfo) -> None:
    print(f"hook: {info.request.operation} attempt {info.request.attempt} -> {info.status}")


async def ask(client: AsyncTextQL, question: str) -> None:
    with trace.get_tracer("my-service").start_as_current_span("handle request"):
        result = await client.ana.ask(question)
    print("answer:", result.answer, f"(request id {result.request_id})")


def report() -> None:
    for span in spans.get_finished_spans():
        attrs = dict(span.attributes or {})
        shown = {k: v for k, v in attrs.items() if k.startswith(("textql.", "http."))}
        print(f"span {span.name!r}: {shown}")
        for event in span.events:
            print(f"  event {event.name}: {dict(event.attributes or {})}")
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    value = getattr(point, "value", None)
                    if value is None:
                        value = f"{point.count} recorded, sum {point.sum:.3f}"
                    print(f"metric {metric.name}: {value}")


async def main(question: str) -> None:
    policy = RetryPolicy(base=0.05, cap=0.1)
    if os.environ.get("TEXTQL_API_KEY"):
        async with AsyncTextQL(on_response=audit, retry_policy=policy) as client:
            await ask(client, question)
    else:
        async with FakeTextQL() as fake:
            fake.inject(HTTPError(503), path="/api/ana")
            async with fake.client(on_response=audit, retry_policy=policy) as client:
                await ask(client, question)
    report()


if __name__ == "__main__":
    asyncio.run(main(" ".join(sys.argv[1:]) or "Which store is the largest?"))
