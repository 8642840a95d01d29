"""Where the relay sends events: the RabbitMQ topic exchange, or the in-process handlers."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import aio_pika
import structlog
from aio_pika.abc import AbstractConnection, AbstractExchange
from aiormq.abc import DeliveredMessage

from app.core.consumer import EventConsumer
from app.core.events import EventEnvelope

logger = structlog.get_logger("app.events")

BROKER_TIMEOUT_SECONDS = 10.0


@dataclass
class PublishResult:
    """The events the destination confirmed, and what stopped the rest (None when nothing did)."""

    delivered: list[str] = field(default_factory=list)
    error: BaseException | None = None


class EventPublisher(Protocol):
    async def publish(self, events: Sequence[EventEnvelope]) -> PublishResult: ...

    async def close(self) -> None: ...


class RabbitPublisher:
    """Persistent messages with publisher confirms: an event counts as sent once the broker has it."""

    def __init__(self, url: str, exchange_name: str, timeout: float = BROKER_TIMEOUT_SECONDS) -> None:
        self.url = url
        self.exchange_name = exchange_name
        self.timeout = timeout
        self._connection: AbstractConnection | None = None
        self._exchange: AbstractExchange | None = None

    async def publish(self, events: Sequence[EventEnvelope]) -> PublishResult:
        try:
            exchange = await self._connect()
        except Exception as exc:
            await self.close()
            return PublishResult(error=exc)
        # Published together on one channel: the broker keeps their order and confirms each.
        outcomes = await asyncio.gather(
            *(self._publish_one(exchange, event) for event in events), return_exceptions=True
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
        connection, self._connection, self._exchange = self._connection, None, None
        if connection is not None:
            try:
                await connection.close()
            except Exception:
                logger.debug("broker_close_failed", exc_info=True)

    async def _connect(self) -> AbstractExchange:
        if self._exchange is not None and self._connection is not None and not self._connection.is_closed:
            return self._exchange
        await self.close()
        # Not a robust connection: the relay owns retrying, and must learn of every failure.
        self._connection = await aio_pika.connect(self.url, timeout=self.timeout)
        channel = await self._connection.channel(publisher_confirms=True)
        self._exchange = await channel.declare_exchange(
            self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True, timeout=self.timeout
        )
        return self._exchange

    async def _publish_one(self, exchange: AbstractExchange, event: EventEnvelope) -> None:
        message = aio_pika.Message(
            body=event.model_dump_json().encode(),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=event.event_id,
            correlation_id=event.trace_id,
            timestamp=event.occurred_at,
            type=event.type,
            headers={"trace_id": event.trace_id or ""},
        )
        # mandatory: the broker tells us when no queue is bound for this key, rather than dropping it unseen.
        outcome = await exchange.publish(message, routing_key=event.type, mandatory=True, timeout=self.timeout)
        if isinstance(outcome, DeliveredMessage):
            # Nobody subscribes to this type: publishing again would not change that (docs/EVENTS.md).
            logger.info("event_unroutable", event_id=event.event_id, event_type=event.type)


class InProcessPublisher:
    """Without RABBITMQ_URL: the relay hands events straight to the consumer's handlers, in order."""

    def __init__(self, consumer: EventConsumer) -> None:
        self.consumer = consumer

    async def publish(self, events: Sequence[EventEnvelope]) -> PublishResult:
        result = PublishResult()
        for event in events:
            try:
                await self.consumer.handle(event)
            except Exception as exc:
                result.error = exc
                break
            result.delivered.append(event.event_id)
        return result

    async def close(self) -> None:
        return None
