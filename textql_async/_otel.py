"""OpenTelemetry traces and metrics of every API call, off unless a provider is configured.

Only ``opentelemetry-api`` is used (the ``otel`` extra), imported on the first call;
the tracer and meter come from the global providers (or the client's
``tracer_provider=`` / ``meter_provider=``) under the library's name. With the
extra missing, or no provider set, a call costs one dictionary look-up here.

One :class:`Call` is the state of one API call (``ana.ask``, ``chats.list``): its span,
its retries, the response the transport saw. The resource layer opens it
(:func:`begin` and :data:`current`), the transport and the streams report into it.

Telemetry names (kept exactly; documented in the README "Observability" section):

- span ``textql <operation>``, kind CLIENT; attributes ``http.request.method``,
  ``server.address``, ``server.port``, ``url.full``, ``http.response.status_code``,
  ``error.type``, ``textql.chat_id``, ``textql.retry_count``, ``textql.recovered`` and
  for streams ``textql.stream.events``, ``textql.stream.blocks``,
  ``textql.stream.bytes``, ``textql.stream.time_to_first_block_ms``;
- span events ``textql.retry`` (``textql.retry.attempt``, ``textql.retry.wait_s``,
  ``textql.retry.reason``) and ``textql.error_block`` (``textql.error_block.contents``);
- histograms ``textql.client.duration`` and ``textql.client.time_to_first_block``
  (seconds); counters ``textql.client.retries``, ``textql.client.errors`` (by
  ``error.type``) and ``textql.client.recovered``.
"""

from __future__ import annotations

import contextvars
import os
import sys
import time
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from textql_async._version import __version__

__all__ = ["Call", "Telemetry", "begin", "current"]

_NAME = "textql_async"

current: contextvars.ContextVar[Call | None] = contextvars.ContextVar("textql_call", default=None)
"""The API call the running code is part of (set by the resource layer)."""

_api: Any = None  # the opentelemetry modules, once imported; False when not installed


_UNSET = object()
_PROVIDER_GLOBALS = (
    ("opentelemetry.trace", "_TRACER_PROVIDER", "OTEL_PYTHON_TRACER_PROVIDER"),
    ("opentelemetry.metrics._internal", "_METER_PROVIDER", "OTEL_PYTHON_METER_PROVIDER"),
)


def _globals_unset() -> bool:
    """Whether neither global provider (tracer, meter) is set, read without the getters.

    The public getters look up ``os.environ`` on every call while nothing is set (about
    1 us each, on every API call of an app that does not use OpenTelemetry). ``False``
    (ask the getters) when a private global is missing in this opentelemetry version.
    """
    for module_name, name, _env in _PROVIDER_GLOBALS:
        module = sys.modules.get(module_name)
        if module is None or getattr(module, name, _UNSET) is not None:
            return False
    return True


def _otel() -> Any:
    """The ``opentelemetry`` API modules, or ``False`` when the extra is not installed."""
    global _api
    if _api is None:
        try:
            from opentelemetry import metrics, propagate, trace
        except ImportError:
            _api = False
        else:
            _api = (trace, metrics, propagate)
    return _api


class _Instruments:
    """The metric instruments of one meter provider."""

    def __init__(self, provider: Any) -> None:
        meter = provider.get_meter(_NAME, __version__)
        self.duration = meter.create_histogram(
            "textql.client.duration", unit="s", description="Duration of TextQL API calls"
        )
        self.first_block = meter.create_histogram(
            "textql.client.time_to_first_block",
            unit="s",
            description="Time from sending a streamed question to its first block",
        )
        self.retries = meter.create_counter(
            "textql.client.retries", unit="{retry}", description="Retried attempts"
        )
        self.errors = meter.create_counter(
            "textql.client.errors", unit="{error}", description="Failed API calls, by error.type"
        )
        self.recovered = meter.create_counter(
            "textql.client.recovered",
            unit="{answer}",
            description="Answers fetched from the chat history after their stream broke",
        )


class Telemetry:
    """One client's telemetry settings: which providers, and whether to send ``traceparent``."""

    def __init__(
        self,
        *,
        tracer_provider: Any = None,
        meter_provider: Any = None,
        propagate: bool = True,
    ) -> None:
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider
        self.propagate = propagate
        # (provider, tracer) and (provider, instruments) of the last provider seen: the
        # global one can be set after the client was made, so it is looked up per call
        self._tracer_cache: tuple[Any, Any] = (None, None)
        self._instruments_cache: tuple[Any, _Instruments | None] = (None, None)
        # a provider named by the environment is loaded by the getters on first use
        self._env_providers = any(env in os.environ for _m, _n, env in _PROVIDER_GLOBALS)

    def idle(self) -> bool:
        """Whether nothing would record a call: no provider here, none set globally."""
        return (
            self.tracer_provider is None
            and self.meter_provider is None
            and not self._env_providers
            and _globals_unset()
        )

    def _tracer(self, api: Any) -> Any:
        trace = api[0]
        provider = self.tracer_provider or trace.get_tracer_provider()
        if self.tracer_provider is None and isinstance(provider, trace.ProxyTracerProvider):
            return None  # nothing configured: no span at all
        if self._tracer_cache[0] is not provider:
            self._tracer_cache = (provider, provider.get_tracer(_NAME, __version__))
        return self._tracer_cache[1]

    def _instruments(self, api: Any) -> _Instruments | None:
        provider = self.meter_provider or api[1].get_meter_provider()
        if self.meter_provider is None and type(provider).__name__ in (
            "_ProxyMeterProvider",
            "NoOpMeterProvider",
        ):
            return None
        if self._instruments_cache[0] is not provider:
            self._instruments_cache = (provider, _Instruments(provider))
        return self._instruments_cache[1]


def begin(telemetry: Telemetry, operation: str) -> Call:
    """Start the :class:`Call` of ``operation``, a child of the current call if there is one."""
    parent = current.get()
    api = _otel()
    if not api or telemetry.idle():
        return Call(operation, parent, None, None, None)
    tracer = telemetry._tracer(api)
    instruments = telemetry._instruments(api)
    span = None
    if tracer is not None:
        context = None
        if parent is not None and parent.span is not None:
            context = api[0].set_span_in_context(parent.span)
        span = tracer.start_span(
            f"textql {operation}", context=context, kind=api[0].SpanKind.CLIENT
        )
    return Call(operation, parent, span, instruments, api if telemetry.propagate else None)


class Call:
    """The telemetry state of one API call: span, retries, response, stream counters."""

    __slots__ = (
        "_api",
        "_attrs",
        "_ended",
        "_first_block",
        "_instruments",
        "has_stream",
        "operation",
        "parent",
        "recording",
        "request_id",
        "retries",
        "span",
        "start",
        "status",
    )

    def __init__(
        self, operation: str, parent: Call | None, span: Any, instruments: Any, api: Any
    ) -> None:
        self.operation = operation
        self.parent = parent
        self.span = span
        self._instruments = instruments
        self._api = api  # set when traceparent is to be injected
        self.start = time.perf_counter()
        self.retries = 0
        self.status: int | None = None
        self.request_id: str | None = None
        self.has_stream = False
        self._first_block: float | None = None
        self._ended = False
        # whether anything records this call: a plain attribute, read on every request
        self.recording = span is not None or instruments is not None
        # only a recorded call needs attributes (one dict less per call otherwise)
        self._attrs: dict[str, Any] | None = (
            {"textql.operation": operation} if self.recording else None
        )

    @property
    def active(self) -> bool:
        """Whether anything records this call (a span or metrics)."""
        return self.recording

    # -- reported by the transport -----------------------------------------------------------

    def request(self, method: str, url: str, query: Sequence[tuple[str, str]] | None) -> None:
        """The request being sent (the attributes of the first one win)."""
        attrs = self._attrs
        if attrs is None or "server.address" in attrs:
            return
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        attrs["server.address"] = host
        attrs["server.port"] = port
        if self.span is not None:
            netloc = host if ":" not in host else f"[{host}]"
            if parts.port is not None:
                netloc = f"{netloc}:{parts.port}"  # never the userinfo
            full = urlunsplit((parts.scheme, netloc, parts.path, urlencode(list(query or [])), ""))
            self.span.set_attribute("http.request.method", method)
            self.span.set_attribute("server.address", host)
            self.span.set_attribute("server.port", port)
            self.span.set_attribute("url.full", full)

    def inject(self, headers: MutableMapping[str, str]) -> None:
        """Add ``traceparent`` (W3C trace context) for this call's span, when propagation is on."""
        api = self._api
        if api is None or self.span is None:
            return
        api[2].inject(headers, context=api[0].set_span_in_context(self.span))

    def response(self, status: int, headers: Mapping[str, str]) -> None:
        """An attempt's response arrived."""
        self.status = status
        self.request_id = headers.get("x-request-id") or headers.get("X-Request-Id")

    def retry(self, attempt: int, wait: float, reason: str) -> None:
        """A retry is about to wait ``wait`` seconds because of ``reason``."""
        self.retries += 1
        if self.span is not None:
            self.span.add_event(
                "textql.retry",
                {
                    "textql.retry.attempt": attempt,
                    "textql.retry.wait_s": wait,
                    "textql.retry.reason": reason,
                },
            )
        if self._instruments is not None:
            self._instruments.retries.add(
                1, {**self._metric_attrs(), "textql.retry.reason": reason}
            )

    # -- reported by streams and the resource layer ------------------------------------------

    def first_block(self) -> None:
        """The stream's first block arrived."""
        if self._first_block is None:
            self._first_block = time.perf_counter() - self.start

    def stream_ended(
        self,
        *,
        events: int,
        blocks: int,
        size: int,
        chat_id: str | None,
        error_blocks: Sequence[str] = (),
    ) -> None:
        """A stream read for this call ended: its counters and its ErrorBlocks."""
        if not self.active:
            return
        if self._first_block is not None and self._instruments is not None:
            self._instruments.first_block.record(self._first_block, self._metric_attrs())
        span = self.span
        if span is None:
            return
        span.set_attribute("textql.stream.events", events)
        span.set_attribute("textql.stream.blocks", blocks)
        span.set_attribute("textql.stream.bytes", size)
        if self._first_block is not None:
            span.set_attribute("textql.stream.time_to_first_block_ms", self._first_block * 1000)
        if chat_id:
            span.set_attribute("textql.chat_id", chat_id)
        for contents in error_blocks:
            span.add_event("textql.error_block", {"textql.error_block.contents": contents})

    def end(self, result: object = None, error: BaseException | None = None) -> None:
        """The call returned ``result`` or raised ``error``: record the metrics, end the span."""
        if self._ended:
            return
        self._ended = True
        if not self.active:
            return
        attrs = self._metric_attrs()
        if self.status is not None:
            attrs["http.response.status_code"] = self.status
        recovered = getattr(result, "recovered", False) is True
        error_type = _error_type(error) if error is not None else None
        if error_type is not None:
            attrs["error.type"] = error_type
        instruments = self._instruments
        if instruments is not None:
            instruments.duration.record(time.perf_counter() - self.start, attrs)
            if error_type is not None:
                instruments.errors.add(1, attrs)
            if recovered:
                instruments.recovered.add(1, self._metric_attrs())
        span = self.span
        if span is None:
            return
        if self.status is not None:
            span.set_attribute("http.response.status_code", self.status)
        span.set_attribute("textql.retry_count", self.retries)
        chat_id = getattr(result, "chat_id", None)
        if isinstance(chat_id, str) and chat_id:
            span.set_attribute("textql.chat_id", chat_id)
        if self.has_stream or recovered:
            span.set_attribute("textql.recovered", recovered)
        if self.request_id:
            span.set_attribute("textql.request_id", self.request_id)
        if error is not None and error_type is not None:
            api = _otel()
            span.set_attribute("error.type", error_type)
            span.set_status(api[0].Status(api[0].StatusCode.ERROR, str(error)[:200]))
        span.end()

    def _metric_attrs(self) -> dict[str, Any]:
        return dict(self._attrs or {"textql.operation": self.operation})


def _error_type(error: BaseException) -> str | None:
    """The low-cardinality ``error.type``: the SDK's exception class name."""
    if isinstance(error, GeneratorExit):
        return None
    return type(error).__name__
