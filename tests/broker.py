"""RabbitMQ from the tests' side: what a subscriber receives, and a real consumer that records what it handled."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage
from opentelemetry.trace import Tracer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.config import Settings
from app.core.consumer import EventConsumer, consume
from app.core.database import SessionFactory
from app.core.events import EventEnvelope, EventHandlers
from app.core.outbox import OutboxEvent
from tests.waiting import WAIT_SECONDS, wait_until


@dataclass(frozen=True)
class Delivery:
    routing_key: str
    message_id: str | None
    persistent: bool
    headers: dict[str, Any]
    body: dict[str, Any]


class Deliveries:
    """Every message routed to a private queue: what a subscriber sees, duplicates included."""

    def __init__(self) -> None:
        self.items: list[Delivery] = []

    def event_ids(self) -> list[str]:
        return [delivery.body["event_id"] for delivery in self.items]

    async def wait_for(self, count: int, seconds: float = WAIT_SECONDS) -> None:
        await wait_until(lambda: len(self.items) >= count, seconds, lambda: f"{len(self.items)} of {count} deliveries")


async def count_pending(session_factory: SessionFactory) -> int:
    """Outbox rows not yet marked sent, read in a fresh transaction."""
    async with session_factory() as session:
        statement = select(func.count()).select_from(OutboxEvent).where(col(OutboxEvent.sent_at).is_(None))
        return int(await session.scalar(statement) or 0)


@asynccontextmanager
async def collecting(url: str, exchange_name: str, pattern: str = "#") -> AsyncIterator[Deliveries]:
    """Deliveries of `pattern` from the exchange to an exclusive queue that vanishes with the connection."""
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(exchange_name, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, pattern)
        deliveries = Deliveries()

        async def on_message(message: AbstractIncomingMessage) -> None:
            deliveries.items.append(
                Delivery(
                    routing_key=message.routing_key or "",
                    message_id=message.message_id,
                    persistent=message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT,
                    headers=dict(message.headers),
                    body=json.loads(message.body),
                )
            )
            await message.ack()

        await queue.consume(on_message)
        yield deliveries
    finally:
        await connection.close()


@asynccontextmanager
async def consuming(
    settings: Settings, session_factory: SessionFactory, failures: int = 0, tracer: Tracer | None = None
) -> AsyncIterator[list[EventEnvelope]]:
    """The real consumer on settings.EVENTS_QUEUE, recording each event its handler ran for.

    The handler raises for its first `failures` calls, as a handler with a passing fault would.
    """
    assert settings.RABBITMQ_URL
    handled: list[EventEnvelope] = []
    failures_left = failures

    async def record(event: EventEnvelope, _session: AsyncSession) -> None:
        nonlocal failures_left
        if failures_left:
            failures_left -= 1
            raise RuntimeError("handler failed")
        handled.append(event)

    handlers = EventHandlers()
    handlers.register(settings.EVENTS_BINDINGS, record)
    await declare_queue(settings)  # bound before any write, so no event finds the exchange without it
    stop = asyncio.Event()
    consumer = EventConsumer(settings.EVENTS_QUEUE, session_factory, handlers, tracer)
    task = asyncio.create_task(consume(settings, consumer, stop))
    try:
        yield handled
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT_SECONDS)


async def declare_queue(settings: Settings) -> None:
    assert settings.RABBITMQ_URL
    connection = await aio_pika.connect(settings.RABBITMQ_URL)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(settings.EVENTS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(settings.EVENTS_QUEUE, durable=True)
        for pattern in settings.EVENTS_BINDINGS:
            await queue.bind(exchange, pattern)


async def delete_broker_objects(url: str, exchange_name: str, queue_names: list[str]) -> None:
    """Remove this test's own exchange and queues (their names are unique to it)."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        for name in queue_names:
            await channel.queue_delete(name)
        await channel.exchange_delete(exchange_name)
