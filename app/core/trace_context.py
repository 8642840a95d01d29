"""W3C trace context where the instrumentations do not reach: responses, outbox rows, message
headers, log lines. Only the OpenTelemetry API: each call is a context lookup when tracing is off."""

import random
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.trace import Span, SpanKind, format_span_id, format_trace_id
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue
from structlog.typing import EventDict, WrappedLogger

TRACEPARENT = "traceparent"
_PROPAGATOR = TraceContextTextMapPropagator()


def current_traceparent() -> str | None:
    """The current span as a `traceparent` value; None outside a trace (tracing off, CLI writes)."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"00-{format_trace_id(context.trace_id)}-{format_span_id(context.span_id)}-{context.trace_flags:02x}"


def response_traceparent(request_headers: Mapping[str, str]) -> str:
    """What a response's `traceparent` says: the request's server span when tracing is on.

    Off, the caller's trace id (a new one without it) and a span id of our own, flagged as
    not sampled: the response still tells a caller which trace it belongs to.
    """
    traceparent = current_traceparent()
    if traceparent is not None:
        return traceparent
    trace_id = 0
    supplied = request_headers.get(TRACEPARENT)
    if supplied:
        parent = trace.get_current_span(_PROPAGATOR.extract({TRACEPARENT: supplied})).get_span_context()
        trace_id = parent.trace_id if parent.is_valid else 0
    trace_id = trace_id or random.getrandbits(128) or 1
    return f"00-{format_trace_id(trace_id)}-{format_span_id(random.getrandbits(64) or 1)}-00"


@contextmanager
def continued_span(
    tracer: trace.Tracer, name: str, traceparent: str | None, kind: SpanKind, attributes: Mapping[str, AttributeValue]
) -> Iterator[Span]:
    """A span in the trace `traceparent` names (a new trace without one), current for the block.

    Started from that context alone, not the caller's: an event published by the relay
    belongs to the request that wrote it, not to the relay's (untraced) loop.
    """
    carrier = {TRACEPARENT: traceparent} if traceparent else {}
    token = otel_context.attach(_PROPAGATOR.extract(carrier, context=otel_context.Context()))
    try:
        with tracer.start_as_current_span(name, kind=kind, attributes=attributes) as span:
            yield span
    finally:
        otel_context.detach(token)


@contextmanager
def untraced() -> Iterator[None]:
    """No instrumentation spans in the block: background bookkeeping (the relay's polling
    queries) would otherwise open a trace of its own every second."""
    with suppress_instrumentation():
        yield


def header_value(headers: Mapping[str, Any] | None, name: str) -> str | None:
    """A message header as text (AMQP tables may hand strings back as bytes)."""
    value = (headers or {}).get(name)
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value if isinstance(value, str) else None


def add_trace_ids(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: the current trace and span ids (32 and 16 hex) on the line, when in a trace."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict["trace_id"] = format_trace_id(context.trace_id)
        event_dict["span_id"] = format_span_id(context.span_id)
    return event_dict
