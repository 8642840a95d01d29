"""The relay without a broker: events reach the in-process handlers, once each, retried when a handler fails.

The caller behind `client` (or the one `serving` creates) is a user too: its `user.created` is
the first event in the outbox, relayed with the test's own.
"""

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.events import EventEnvelope, EventHandlers
from app.core.inbox import ProcessedEvent
from app.core.outbox import OutboxEvent
from app.core.relay import build_relay, running
from tests.backends import Backend
from tests.factories import create_user
from tests.fixtures import make_settings
from tests.servers import serving
from tests.waiting import eventually, wait_until


class Recorder:
    """A handler that remembers what it was given, and can be told to fail the first times."""

    def __init__(self, failures: int = 0) -> None:
        self.events: list[EventEnvelope] = []
        self.failures = failures

    async def __call__(self, event: EventEnvelope, _session: AsyncSession) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("handler failed")
        self.events.append(event)

    def handlers(self) -> EventHandlers:
        handlers = EventHandlers()
        handlers.register(["user.*"], self)
        return handlers


async def pending_count(session: AsyncSession) -> int:
    statement = select(func.count()).select_from(OutboxEvent).where(col(OutboxEvent.sent_at).is_(None))
    return int(await session.scalar(statement) or 0)


async def test_without_a_broker_the_relay_hands_events_to_the_handlers_in_order(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, admin: tuple[int, str]
) -> None:
    settings = app.state.settings.model_copy(update={"RABBITMQ_URL": None})
    recorder = Recorder()
    users = [await create_user(client) for _ in range(3)]

    relayed = await build_relay(settings, app.state.session_factory, handlers=recorder.handlers()).relay_batch()

    assert relayed == 4
    assert [event.data["id"] for event in recorder.events] == [admin[0], *(user["id"] for user in users)]
    assert await pending_count(session) == 0


async def test_an_event_handed_over_again_is_skipped(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, admin: tuple[int, str]
) -> None:
    settings = app.state.settings.model_copy(update={"RABBITMQ_URL": None})
    recorder = Recorder()
    relay = build_relay(settings, app.state.session_factory, handlers=recorder.handlers())
    user = await create_user(client)
    await relay.relay_batch()

    # As if the relay had died after the handlers ran but before it marked the rows sent.
    await session.execute(update(OutboxEvent).values(sent_at=None))
    await session.commit()
    relayed_again = await relay.relay_batch()

    assert relayed_again == 2  # the user's event and the caller's, both handed over again...
    assert [event.data["id"] for event in recorder.events] == [admin[0], user["id"]]  # ...and not handled again
    assert await session.scalar(select(func.count()).select_from(ProcessedEvent)) == 2


async def test_a_failing_handler_is_retried_with_backoff_until_it_succeeds(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, admin: tuple[int, str]
) -> None:
    settings = app.state.settings.model_copy(
        update={"RABBITMQ_URL": None, "EVENTS_POLL_SECONDS": 0.05, "EVENTS_MAX_BACKOFF_SECONDS": 0.2}
    )
    recorder = Recorder(failures=2)
    user = await create_user(client)

    async with running(build_relay(settings, app.state.session_factory, handlers=recorder.handlers())):
        await wait_until(lambda: len(recorder.events) == 2, 10)

    assert [event.data["id"] for event in recorder.events] == [admin[0], user["id"]]
    assert await pending_count(session) == 0


@pytest.mark.usefixtures("committed")  # the relay of another app, after commit
async def test_the_app_relays_in_its_lifespan(backend: Backend, app: FastAPI) -> None:
    settings = make_settings(backend, RABBITMQ_URL=None, REDIS_URL=None, EVENTS_RELAY_IN_APP=True)

    async def handled_and_sent() -> bool:
        async with app.state.session_factory() as fresh:
            processed = await fresh.scalar(select(func.count()).select_from(ProcessedEvent))
            return processed == 2 and await pending_count(fresh) == 0  # the user's event and the caller's

    async with serving(settings) as (_, http, _):
        await create_user(http)
        await eventually(handled_and_sent, 10)
