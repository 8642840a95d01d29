"""The long-running event processes behind `python -m app events relay|consume`."""

import asyncio
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from app.core.config import Settings
from app.core.consumer import EventConsumer, consume
from app.core.database import create_engine, create_session_factory
from app.core.events import default_handlers
from app.core.logging import configure_logging
from app.core.relay import build_relay
from app.core.tracing import event_tracer


async def run_relay(settings: Settings) -> None:
    """Relay the outbox until SIGINT/SIGTERM; the batch in flight finishes first."""
    configure_logging(settings)
    engine = create_engine(settings)
    relay = build_relay(settings, create_session_factory(engine))
    try:
        with _on_stop_signals(relay.stop):
            await relay.run()
    finally:
        await relay.publisher.close()
        await engine.dispose()


async def run_consumer(settings: Settings) -> None:
    """Consume EVENTS_QUEUE until SIGINT/SIGTERM; unacknowledged deliveries return to the queue."""
    configure_logging(settings)
    engine = create_engine(settings)
    consumer = EventConsumer(
        settings.EVENTS_QUEUE,
        create_session_factory(engine),
        default_handlers(settings.EVENTS_BINDINGS),
        event_tracer(settings),
    )
    stop = asyncio.Event()
    try:
        with _on_stop_signals(stop.set):
            await consume(settings, consumer, stop)
    finally:
        await engine.dispose()


@contextmanager
def _on_stop_signals(callback: Callable[[], None]) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, callback)
    try:
        yield
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
