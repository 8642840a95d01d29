"""OpenTelemetry tracing (docs/OBSERVABILITY.md): the provider from the OTEL_* settings, and the
tracing of an app (FastAPI's own), an engine and a Redis client.

With OTEL_TRACES_EXPORTER=none (the default) nothing is instrumented: no span is made, and
the few calls that remain (the response's `traceparent`, the log processor) cost a context
lookup. Every instrumentation is per instance, so apps built side by side in one process
(the tests) trace or not on their own settings.
"""

from collections.abc import Callable

from fastapi.telemetry import TelemetryConfig
from opentelemetry import metrics, trace
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    DEFAULT_OFF,
    DEFAULT_ON,
    ParentBasedTraceIdRatio,
    Sampler,
    TraceIdRatioBased,
)
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.config import Settings

# OTEL_TRACES_SAMPLER's values (the OpenTelemetry specification's names), given OTEL_TRACES_SAMPLER_ARG.
SAMPLERS: dict[str, Callable[[float], Sampler]] = {
    "always_on": lambda _: ALWAYS_ON,
    "always_off": lambda _: ALWAYS_OFF,
    "traceidratio": TraceIdRatioBased,
    "parentbased_always_on": lambda _: DEFAULT_ON,
    "parentbased_always_off": lambda _: DEFAULT_OFF,
    "parentbased_traceidratio": ParentBasedTraceIdRatio,
}


def tracing_enabled(settings: Settings) -> bool:
    return settings.OTEL_TRACES_EXPORTER != "none"


def tracer_provider(settings: Settings) -> trace.TracerProvider:
    """The process's tracer provider: one already installed (a test's, `opentelemetry-instrument`'s)
    or, on first use, one built from the settings and installed."""
    if not tracing_enabled(settings):
        return trace.NoOpTracerProvider()
    installed = trace.get_tracer_provider()
    if isinstance(installed, TracerProvider):
        return installed
    provider = TracerProvider(
        resource=Resource.create({SERVICE_NAME: settings.OTEL_SERVICE_NAME}),
        sampler=SAMPLERS[settings.OTEL_TRACES_SAMPLER](settings.OTEL_TRACES_SAMPLER_ARG),
    )
    provider.add_span_processor(BatchSpanProcessor(_exporter(settings)))
    trace.set_tracer_provider(provider)
    return provider


def _exporter(settings: Settings) -> SpanExporter:
    if settings.OTEL_TRACES_EXPORTER == "console":
        return ConsoleSpanExporter()
    # Imported here: the OTLP exporter pulls in protobuf and requests, which only a process exporting needs.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    # As the OpenTelemetry specification orders them: the signal's own URL as given, else the
    # base URL with /v1/traces, else the exporter's default (http://localhost:4318/v1/traces).
    endpoint = settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
    base = settings.OTEL_EXPORTER_OTLP_ENDPOINT
    if not endpoint and base:
        endpoint = f"{base.rstrip('/')}/v1/traces"
    return OTLPSpanExporter(endpoint=endpoint or None)


def fastapi_telemetry(settings: Settings) -> TelemetryConfig:
    """FastAPI's own OpenTelemetry support, for this app: a server span per request (continuing
    the caller's `traceparent`) with spans for its dependencies, endpoint and serialization.

    Off, it is off for this app even where the process has a tracer provider (tests build
    many apps in one process). Metrics and logs stay with Prometheus and structlog.
    """
    if not tracing_enabled(settings):
        return {"tracing": False, "metrics": False, "logs": False}
    return {"tracer_provider": tracer_provider(settings), "metrics": False, "logs": False}


def instrument_engine(engine: AsyncEngine, settings: Settings) -> None:
    """A client span per SQL statement run on this engine."""
    if tracing_enabled(settings):
        # The instrumentor's own `instrument(engine=...)` works once per process; its EngineTracer, per engine.
        connections = metrics.get_meter(__name__).create_up_down_counter("db.client.connections.usage")
        tracer = tracer_provider(settings).get_tracer("opentelemetry.instrumentation.sqlalchemy")
        EngineTracer(tracer, engine.sync_engine, connections)  # type: ignore[no-untyped-call]  # the package has no type hints


def instrument_redis(client: Redis | None, settings: Settings) -> None:
    """A client span per Redis command sent through this client."""
    if client is not None and tracing_enabled(settings):
        RedisInstrumentor.instrument_client(client, tracer_provider=tracer_provider(settings))


def event_tracer(settings: Settings) -> trace.Tracer:
    """The tracer of the relay's publish spans and the consumer's process spans (a no-op when off)."""
    return tracer_provider(settings).get_tracer("app.events")
