"""The outbox relay: publishes pending event rows, marks them sent, backs off while the broker is away."""

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import structlog

from app.core.config import Settings
from app.core.consumer import EventConsumer
from app.core.database import SessionFactory, transaction
from app.core.events import EventHandlers, default_handlers
from app.core.outbox import OutboxSignal, claim_pending, mark_sent
from app.core.publisher import BROKER_TIMEOUT_SECONDS, EventPublisher, InProcessPublisher, RabbitPublisher
from app.core.trace_context import untraced
from app.core.tracing import event_tracer

logger = structlog.get_logger("app.events")

_FIRST_BACKOFF_SECONDS = 0.5


class OutboxRelay:
    def __init__(
        self,
        session_factory: SessionFactory,
        publisher: EventPublisher,
        signal: OutboxSignal | None = None,
        *,
        batch_size: int = 100,
        poll_seconds: float = 1.0,
        max_backoff_seconds: float = 30.0,
    ) -> None:
        self.session_factory = session_factory
        self.publisher = publisher
        self.signal = signal or OutboxSignal()
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Relay until `stop()`; a failure (broker or database away) is retried with backoff."""
        failures = 0
        while not self._stopping.is_set():
            try:
                relayed = await self.relay_batch()
            except Exception as exc:
                failures += 1
                delay = self._backoff(failures)
                logger.warning("outbox_relay_failed", error=repr(exc), attempt=failures, retry_in=round(delay, 2))
                await self._sleep_unless_stopped(delay)
                continue
            if failures:
                logger.info("outbox_relay_recovered", after_attempts=failures)
                failures = 0
            if relayed < self.batch_size:
                await self.signal.wait(self.poll_seconds)  # drained: wait for a commit or the next poll

    def stop(self) -> None:
        self._stopping.set()
        self.signal.wake()

    async def relay_batch(self) -> int:
        """Publish one batch of pending events, mark the confirmed ones sent; raise if some were not.

        Its own queries are untraced (a poll a second would each open a trace); each publish
        is a span in the trace of the request that wrote the event.
        """
        with untraced():
            async with self.session_factory() as session, transaction(session):
                events = await claim_pending(session, self.batch_size)
                if not events:
                    return 0
                result = await self.publisher.publish(events)
                await mark_sent(session, result.delivered)
        if result.error is not None:
            raise result.error
        return len(result.delivered)

    def _backoff(self, failures: int) -> float:
        ceiling: float = min(self.max_backoff_seconds, _FIRST_BACKOFF_SECONDS * 2.0 ** min(failures - 1, 16))
        return ceiling * random.uniform(0.5, 1.0)  # jitter: relays that failed together retry apart

    async def _sleep_unless_stopped(self, seconds: float) -> None:
        with suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)


def build_publisher(
    settings: Settings, session_factory: SessionFactory, handlers: EventHandlers | None = None
) -> EventPublisher:
    """RabbitMQ when RABBITMQ_URL is set, else the same handlers `events consume` would run, in-process."""
    tracer = event_tracer(settings)
    if settings.RABBITMQ_URL:
        return RabbitPublisher(settings.RABBITMQ_URL, settings.EVENTS_EXCHANGE, tracer=tracer)
    handlers = handlers or default_handlers(settings.EVENTS_BINDINGS)
    return InProcessPublisher(EventConsumer(settings.EVENTS_QUEUE, session_factory, handlers, tracer), tracer)


def build_relay(
    settings: Settings,
    session_factory: SessionFactory,
    signal: OutboxSignal | None = None,
    handlers: EventHandlers | None = None,
) -> OutboxRelay:
    return OutboxRelay(
        session_factory,
        build_publisher(settings, session_factory, handlers),
        signal,
        batch_size=settings.EVENTS_BATCH_SIZE,
        poll_seconds=settings.EVENTS_POLL_SECONDS,
        max_backoff_seconds=settings.EVENTS_MAX_BACKOFF_SECONDS,
    )


@asynccontextmanager
async def running(relay: OutboxRelay) -> AsyncIterator[OutboxRelay]:
    """Run the relay as a background task for the block; on exit let its batch finish, then stop."""
    task = asyncio.create_task(relay.run(), name="outbox-relay")
    try:
        yield relay
    finally:
        relay.stop()
        try:
            await asyncio.wait_for(task, BROKER_TIMEOUT_SECONDS * 2)
        except TimeoutError:
            logger.warning("outbox_relay_stop_timed_out")
        finally:
            await relay.publisher.close()
