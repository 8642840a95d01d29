"""Where the relay sends events: the RabbitMQ topic exchange, or the in-process handlers."""

import asyncio
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol, cast

import aiormq
import structlog
from aiormq import Channel, spec
from aiormq.abc import AbstractConnection, DeliveredMessage
from opentelemetry.trace import NoOpTracer, Span, SpanKind, Tracer
from opentelemetry.util.types import AttributeValue
from pamqp.common import FieldTable

from app.core.consumer import EventConsumer
from app.core.events import EventEnvelope
from app.core.trace_context import TRACEPARENT, continued_span, current_traceparent

logger = structlog.get_logger("app.events")

BROKER_TIMEOUT_SECONDS = 10.0
PERSISTENT = 2  # AMQP delivery mode: the broker writes the message to disk


@dataclass
class PublishResult:
    """The events the destination confirmed, and what stopped the rest (None when nothing did)."""

    delivered: list[str] = field(default_factory=list)
    error: BaseException | None = None


class EventPublisher(Protocol):
    async def publish(self, events: Sequence[EventEnvelope]) -> PublishResult: ...

    async def close(self) -> None: ...


class RabbitPublisher:
    """Persistent messages with publisher confirms: an event counts as sent once the broker has it.

    On aiormq, the AMQP client under aio-pika, because a batch is published in one go: each
    message is handed to the connection's writer without waiting for it to reach the socket
    (`wait=False`), and only the broker's confirms are awaited. aio-pika's `publish` waits
    for the socket under the channel's lock, so a batch of N costs N turns of the event loop
    before the first confirm; under a saturating request load that held the in-app relay to
    a fraction of the write rate (docs/EVENTS.md).
    """

    def __init__(
        self, url: str, exchange_name: str, timeout: float = BROKER_TIMEOUT_SECONDS, tracer: Tracer | None = None
    ) -> None:
        self.url = url
        self.exchange_name = exchange_name
        self.timeout = timeout
        self.tracer = tracer or NoOpTracer()
        self._connection: AbstractConnection | None = None
        self._channel: Channel | None = None

    async def publish(self, events: Sequence[EventEnvelope]) -> PublishResult:
        try:
            channel = await self._connect()
        except Exception as exc:
            await self.close()
            return PublishResult(error=exc)
        # Published together on one channel: the broker keeps their order and confirms each.
        outcomes = await asyncio.gather(
            *(self._publish_one(channel, event) for event in events), return_exceptions=True
        )
        result = PublishResult()
        for event, outcome in zip(events, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                result.error = result.error or outcome
            else:
                result.delivered.append(event.event_id)
        if result.error is not None:
            await self.close()  # start from a fresh connection on the next attempt
        return result

    async def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            try:
                await connection.close()
            except Exception:
                logger.debug("broker_close_failed", exc_info=True)

    async def _connect(self) -> Channel:
        if self._channel is not None and self._connection is not None and not self._connection.is_closed:
            return self._channel
        await self.close()
        # A plain connection: the relay owns retrying, and must learn of every failure.
        async with asyncio.timeout(self.timeout):
            self._connection = await aiormq.connect(self.url)
            # A returned (unroutable) message confirms with the message instead of raising.
            # Typed as the abstract channel, whose `basic_publish` lacks `wait`; it is always a Channel.
            channel = cast(Channel, await self._connection.channel(publisher_confirms=True, on_return_raises=False))
            await channel.exchange_declare(self.exchange_name, exchange_type="topic", durable=True)
        self._channel = channel
        return channel

    async def _publish_one(self, channel: Channel, event: EventEnvelope) -> None:
        attributes = {
            "messaging.system": "rabbitmq",
            "messaging.destination.name": self.exchange_name,
            "messaging.rabbitmq.destination.routing_key": event.type,
        }
        with publish_span(self.tracer, event, attributes):
            await self._send(channel, event, current_traceparent())

    async def _send(self, channel: Channel, event: EventEnvelope, traceparent: str | None) -> None:
        headers: FieldTable = {"trace_id": event.trace_id or ""}
        if traceparent:
            headers[TRACEPARENT] = traceparent  # the consumer's span continues the publish span
        properties = spec.Basic.Properties(
            content_type="application/json",
            delivery_mode=PERSISTENT,
            message_id=event.event_id,
            correlation_id=event.trace_id,
            timestamp=event.occurred_at,
            message_type=event.type,
            headers=headers,
        )
        # mandatory: the broker tells us when no queue is bound for this key, rather than dropping it unseen.
        # Typed as a confirmation frame, but a returned message confirms as the DeliveredMessage.
        outcome: object = await channel.basic_publish(
            event.model_dump_json().encode(),
            exchange=self.exchange_name,
            routing_key=event.type,
            properties=properties,
            mandatory=True,
            timeout=self.timeout,
            wait=False,
        )
        if isinstance(outcome, DeliveredMessage):
            # Nobody subscribes to this type: publishing again would not change that (docs/EVENTS.md).
            logger.info("event_unroutable", event_id=event.event_id, event_type=event.type)


class InProcessPublisher:
    """Without RABBITMQ_URL: the relay hands events straight to the consumer's handlers, in order."""

    def __init__(self, consumer: EventConsumer, tracer: Tracer | None = None) -> None:
        self.consumer = consumer
        self.tracer = tracer or NoOpTracer()

    async def publish(self, events: Sequence[EventEnvelope]) -> PublishResult:
        result = PublishResult()
        for event in events:
            try:
                with publish_span(self.tracer, event):
                    await self.consumer.handle(event.model_copy(update={"traceparent": current_traceparent()}))
            except Exception as exc:
                result.error = exc
                break
            result.delivered.append(event.event_id)
        return result

    async def close(self) -> None:
        return None


def publish_span(
    tracer: Tracer, event: EventEnvelope, attributes: Mapping[str, AttributeValue] | None = None
) -> AbstractContextManager[Span]:
    """The span of an event's publishing, in the trace of the request that wrote it."""
    attributes = {
        "messaging.operation.type": "send",
        "messaging.message.id": event.event_id,
        **(attributes or {}),
    }
    return continued_span(tracer, f"publish {event.type}", event.traceparent, SpanKind.PRODUCER, attributes)
