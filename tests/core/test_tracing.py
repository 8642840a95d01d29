"""Tracing (docs/OBSERVABILITY.md): a request's span with its SQL and Redis spans, its events'
publish and process spans, all in one trace; `traceparent` continued and answered; trace ids on log lines."""

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, format_span_id, format_trace_id
from pydantic import ValidationError

from app.core.config import Settings
from app.core.tracing import event_tracer
from tests.backends import Backend
from tests.broker import consuming
from tests.fixtures import make_settings
from tests.servers import serving
from tests.waiting import WAIT_SECONDS, wait_until

TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
CALLER_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_TRACEPARENT = f"00-{CALLER_TRACE_ID}-00f067aa0ba902b7-01"
SQL_SCOPE = "opentelemetry.instrumentation.sqlalchemy"
REDIS_SCOPE = "opentelemetry.instrumentation.redis"


@pytest.fixture(scope="session")
def exporter() -> InMemorySpanExporter:
    """Every span this process finishes, kept in memory: the OpenTelemetry SDK's test exporter.

    The process has one tracer provider; an app with tracing on uses the one installed here.
    """
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def spans(exporter: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    exporter.clear()
    yield exporter
    exporter.clear()


def traced(backend: Backend, **overrides: object) -> Settings:
    return make_settings(backend, OTEL_TRACES_EXPORTER="console", LOG_LEVEL="INFO", LOG_FORMAT="json", **overrides)


def hex_ids(span: ReadableSpan) -> tuple[str, str]:
    assert span.context is not None
    return format_trace_id(span.context.trace_id), format_span_id(span.context.span_id)


def in_trace(exporter: InMemorySpanExporter, trace_id: str) -> list[ReadableSpan]:
    return [span for span in exporter.get_finished_spans() if hex_ids(span)[0] == trace_id]


def parsed(traceparent: str) -> tuple[str, str, bool]:
    """Trace id, span id, and whether the sampled flag is set."""
    match = TRACEPARENT.fullmatch(traceparent)
    assert match, traceparent
    trace_id, span_id, flags = match.groups()
    return trace_id, span_id, bool(int(flags, 16) & 1)


def scope_name(span: ReadableSpan) -> str:
    return span.instrumentation_scope.name if span.instrumentation_scope else ""


def descends_from(span: ReadableSpan, ancestor: ReadableSpan, spans_of_trace: list[ReadableSpan]) -> bool:
    """Whether `ancestor` is up `span`'s parent chain (FastAPI's operation spans sit in between)."""
    by_id = {candidate.context.span_id: candidate for candidate in spans_of_trace if candidate.context}
    parent = span.parent
    while parent is not None:
        if ancestor.context is not None and parent.span_id == ancestor.context.span_id:
            return True
        found = by_id.get(parent.span_id)
        parent = found.parent if found else None
    return False


def processed(exporter: InMemorySpanExporter) -> bool:
    return any(span.kind == SpanKind.CONSUMER for span in in_trace(exporter, CALLER_TRACE_ID))


def log_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.mark.usefixtures("committed")  # other apps on the database, its tables emptied
async def test_a_request_is_a_server_span_with_its_sql_and_redis_spans_in_one_trace(
    backend: Backend, spans: InMemorySpanExporter
) -> None:
    async with serving(traced(backend)) as (_, http, _caller):
        response = await http.post("/users", json={"email": "ann@example.com", "name": "Ann"})

    assert response.status_code == 201
    trace_id, span_id, sampled = parsed(response.headers["traceparent"])
    assert sampled
    [server] = [span for span in in_trace(spans, trace_id) if span.kind == SpanKind.SERVER]
    assert server.name == "POST /users"
    assert server.parent is None  # no traceparent came in: the request starts the trace
    assert hex_ids(server) == (trace_id, span_id)
    assert server.attributes is not None
    assert server.attributes["http.response.status_code"] == 201
    assert server.attributes["http.route"] == "/users"
    spans_of_trace = in_trace(spans, trace_id)
    sql = [span for span in spans_of_trace if scope_name(span) == SQL_SCOPE]
    assert any("INSERT INTO users" in str(span.attributes) for span in sql), [span.name for span in sql]
    assert all(span.kind == SpanKind.CLIENT for span in sql)
    assert all(descends_from(span, server, spans_of_trace) for span in sql)
    if backend.redis_url:  # the commit tells the other processes' caches through Redis
        redis = [span for span in spans_of_trace if scope_name(span) == REDIS_SCOPE]
        assert redis, [span.name for span in spans_of_trace]
        assert all(descends_from(span, server, spans_of_trace) for span in redis)


@pytest.mark.usefixtures("committed")  # other apps on the database, its tables emptied
async def test_an_incoming_traceparent_is_continued(backend: Backend, spans: InMemorySpanExporter) -> None:
    async with serving(traced(backend)) as (_, http, _caller):
        response = await http.get("/users", headers={"traceparent": CALLER_TRACEPARENT})

    assert response.status_code == 200
    trace_id, span_id, _ = parsed(response.headers["traceparent"])
    assert trace_id == CALLER_TRACE_ID
    [server] = [span for span in in_trace(spans, CALLER_TRACE_ID) if span.kind == SpanKind.SERVER]
    assert server.parent is not None
    assert format_span_id(server.parent.span_id) == "00f067aa0ba902b7"
    assert hex_ids(server)[1] == span_id


@pytest.mark.parametrize("garbage", ["nonsense", f"00-{'0' * 32}-00f067aa0ba902b7-01", "00-abc-def-01"])
@pytest.mark.usefixtures("committed")  # other apps on the database, its tables emptied
async def test_a_malformed_traceparent_starts_a_new_trace(
    backend: Backend, spans: InMemorySpanExporter, garbage: str
) -> None:
    async with serving(traced(backend)) as (_, http, _caller):
        response = await http.get("/users", headers={"traceparent": garbage})

    assert response.status_code == 200
    trace_id, _, _ = parsed(response.headers["traceparent"])
    [server] = [span for span in in_trace(spans, trace_id) if span.kind == SpanKind.SERVER]
    assert server.parent is None


@pytest.mark.usefixtures("committed", "exporter")  # another app on the database, its tables emptied
async def test_log_lines_in_a_request_carry_its_trace_and_span_ids(
    backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    async with serving(traced(backend)) as (_, http, _caller):
        response = await http.get("/users", headers={"traceparent": CALLER_TRACEPARENT, "X-Request-Id": "req-1"})

    [access] = [line for line in log_lines(capsys.readouterr().err) if line["logger"] == "app.access"]
    _, span_id, _ = parsed(response.headers["traceparent"])
    assert (access["trace_id"], access["span_id"]) == (CALLER_TRACE_ID, span_id)
    assert access["request_id"] == "req-1"  # beside the request id
    assert access["status"] == 200


async def test_tracing_off_records_nothing_yet_answers_a_traceparent(
    app: FastAPI, anon_client: httpx.AsyncClient, spans: InMemorySpanExporter
) -> None:
    assert app.state.settings.OTEL_TRACES_EXPORTER == "none"

    continued = await anon_client.get("/health", headers={"traceparent": CALLER_TRACEPARENT})
    fresh = await anon_client.get("/health")

    assert parsed(continued.headers["traceparent"])[0] == CALLER_TRACE_ID
    assert not parsed(continued.headers["traceparent"])[2]  # not sampled: nothing was recorded
    assert parsed(fresh.headers["traceparent"])[0] != CALLER_TRACE_ID
    assert spans.get_finished_spans() == ()


@pytest.mark.usefixtures("committed")  # other apps on the database, its tables emptied
async def test_an_event_is_published_and_consumed_in_the_trace_of_the_request_that_wrote_it(
    backend: Backend, spans: InMemorySpanExporter, capsys: pytest.CaptureFixture[str]
) -> None:
    """In-process (no RABBITMQ_URL): the relay hands the event to the handlers itself."""
    if backend.rabbitmq_url:
        pytest.skip("the RabbitMQ run is the next test")
    settings = traced(backend, EVENTS_RELAY_IN_APP=True, EVENTS_POLL_SECONDS=0.1)
    async with serving(settings) as (_, http, _caller):
        response = await http.post(
            "/users", json={"email": "bob@example.com", "name": "Bob"}, headers={"traceparent": CALLER_TRACEPARENT}
        )
        await wait_until(lambda: processed(spans), WAIT_SECONDS)

    assert response.status_code == 201
    assert_publish_then_process(in_trace(spans, CALLER_TRACE_ID))
    received_bob = f"Received event user.created with user_id={response.json()['id']}"
    [received] = [line for line in log_lines(capsys.readouterr().err) if line["event"] == received_bob]
    [process] = [span for span in in_trace(spans, CALLER_TRACE_ID) if span.kind == SpanKind.CONSUMER]
    assert (received["trace_id"], received["span_id"]) == hex_ids(process)


@pytest.mark.usefixtures("committed")  # other apps on the database, its tables emptied
async def test_a_consumed_event_from_rabbitmq_is_in_the_trace_of_the_request_that_wrote_it(
    event_settings: Settings, spans: InMemorySpanExporter
) -> None:
    settings = event_settings.model_copy(update={"OTEL_TRACES_EXPORTER": "console"})
    async with (
        serving(settings) as (traced_app, http, _caller),
        consuming(settings, traced_app.state.session_factory, tracer=event_tracer(settings)) as handled,
    ):
        response = await http.post(
            "/users", json={"email": "cy@example.com", "name": "Cy"}, headers={"traceparent": CALLER_TRACEPARENT}
        )
        await wait_until(lambda: processed(spans), WAIT_SECONDS)

    assert response.status_code == 201
    [event] = [event for event in handled if event.data["id"] == response.json()["id"]]
    spans_of_trace = in_trace(spans, CALLER_TRACE_ID)
    publish, process = assert_publish_then_process(spans_of_trace)
    assert process.attributes is not None
    assert process.attributes["messaging.message.id"] == event.event_id
    assert publish.attributes is not None
    assert publish.attributes["messaging.system"] == "rabbitmq"


def assert_publish_then_process(spans_of_trace: list[ReadableSpan]) -> tuple[ReadableSpan, ReadableSpan]:
    """The request's server span, the event's publish span under it, the process span under that."""
    [server] = [span for span in spans_of_trace if span.kind == SpanKind.SERVER]
    [publish] = [span for span in spans_of_trace if span.kind == SpanKind.PRODUCER]
    [process] = [span for span in spans_of_trace if span.kind == SpanKind.CONSUMER]
    assert publish.name == "publish user.created"
    assert descends_from(publish, server, spans_of_trace)
    assert process.parent is not None
    assert publish.context is not None
    assert process.parent.span_id == publish.context.span_id
    handler_sql = [span for span in spans_of_trace if scope_name(span) == SQL_SCOPE]
    assert any(descends_from(span, process, spans_of_trace) for span in handler_sql)
    return publish, process


@pytest.mark.parametrize(
    ("name", "value"),
    [("OTEL_TRACES_EXPORTER", "jaeger"), ("OTEL_TRACES_SAMPLER", "sometimes"), ("OTEL_TRACES_SAMPLER_ARG", "1.5")],
)
def test_a_tracing_setting_outside_the_standard_values_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(ValidationError, match=name):
        Settings()
