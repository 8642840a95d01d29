"""Receiving events: once per event id, acknowledged only after the handlers' transaction commits."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import aio_pika
import structlog
from aio_pika.abc import AbstractIncomingMessage
from aiormq.exceptions import AMQPError
from opentelemetry.trace import NoOpTracer, SpanKind, Tracer
from opentelemetry.util.types import AttributeValue
from pydantic import ValidationError
from yarl import URL

from app.core.config import Settings
from app.core.context import request_id_var
from app.core.database import SessionFactory, transaction
from app.core.events import EventEnvelope, EventHandlers
from app.core.inbox import AlreadyProcessed, record_processed
from app.core.trace_context import TRACEPARENT, continued_span, header_value

logger = structlog.get_logger("app.events")

PREFETCH = 32
# A handler that failed is retried after this pause, not in a hot loop.
REDELIVERY_DELAY_SECONDS = 1.0


class EventConsumer:
    """Hands each event to the matching handlers once: an event id already handled is skipped."""

    def __init__(
        self, name: str, session_factory: SessionFactory, handlers: EventHandlers, tracer: Tracer | None = None
    ) -> None:
        self.name = name
        self.session_factory = session_factory
        self.handlers = handlers
        self.tracer = tracer or NoOpTracer()

    async def handle(self, event: EventEnvelope) -> bool:
        """Run the handlers in one transaction with the event's receipt; False for a duplicate.

        Traced as a span in the event's trace (its `traceparent`): the writing request's.
        """
        attributes: dict[str, AttributeValue] = {
            "messaging.operation.type": "process",
            "messaging.message.id": event.event_id,
            "messaging.destination.subscription.name": self.name,
        }
        with (
            continued_span(self.tracer, f"process {event.type}", event.traceparent, SpanKind.CONSUMER, attributes),
            _event_context(event),
        ):
            async with self.session_factory() as session:
                try:
                    async with transaction(session):
                        await record_processed(session, self.name, event.event_id)
                        await self.handlers.dispatch(event, session)
                except AlreadyProcessed:
                    logger.info("event_duplicate_skipped", event_id=event.event_id, event_type=event.type)
                    return False
        return True


@contextmanager
def _event_context(event: EventEnvelope) -> Iterator[None]:
    # What the handlers log or write carries the trace id of the request that caused the event.
    token = request_id_var.set(event.trace_id)
    try:
        with structlog.contextvars.bound_contextvars(trace_id=event.trace_id, request_id=event.trace_id):
            yield
    finally:
        request_id_var.reset(token)


class BrokerUnavailable(RuntimeError):
    """RabbitMQ is not configured or cannot be reached (the message is safe to show: no password)."""


async def consume(settings: Settings, consumer: EventConsumer, stop: asyncio.Event) -> None:
    """Bind the durable EVENTS_QUEUE to EVENTS_BINDINGS and handle deliveries until `stop` is set."""
    if not settings.RABBITMQ_URL:
        raise BrokerUnavailable("events consume needs RABBITMQ_URL: set it to the broker's amqp:// URL")
    try:
        connection = await aio_pika.connect_robust(settings.RABBITMQ_URL)
    except (OSError, AMQPError) as exc:
        where = URL(settings.RABBITMQ_URL)
        raise BrokerUnavailable(f"cannot reach RabbitMQ at {where.host}:{where.port}: {exc}") from exc
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=PREFETCH)
        exchange = await channel.declare_exchange(settings.EVENTS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(settings.EVENTS_QUEUE, durable=True)
        for pattern in settings.EVENTS_BINDINGS:
            await queue.bind(exchange, pattern)

        async def on_message(message: AbstractIncomingMessage) -> None:
            await deliver(consumer, message)

        tag = await queue.consume(on_message)
        logger.info("consumer_started", queue=settings.EVENTS_QUEUE, bindings=settings.EVENTS_BINDINGS)
        await stop.wait()
        await queue.cancel(tag)
    logger.info("consumer_stopped", queue=settings.EVENTS_QUEUE)


async def deliver(consumer: EventConsumer, message: AbstractIncomingMessage) -> None:
    """Handle one delivery; ack after the handlers' commit, so a crash before it means a redelivery."""
    try:
        event = EventEnvelope.model_validate_json(message.body)
    except ValidationError:
        # Redelivering a body that cannot be read would fail the same way forever.
        logger.error("event_malformed", message_id=message.message_id, routing_key=message.routing_key)
        await message.reject(requeue=False)
        return
    event = event.model_copy(update={TRACEPARENT: header_value(message.headers, TRACEPARENT)})
    try:
        await consumer.handle(event)
    except Exception:
        logger.exception("event_handler_failed", event_id=event.event_id, event_type=event.type)
        await asyncio.sleep(REDELIVERY_DELAY_SECONDS)
        await message.nack(requeue=True)
        return
    await message.ack()
