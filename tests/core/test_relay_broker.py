"""The relay against the real RabbitMQ going away: no event lost, none handled twice, several relays at once.

The broker itself is shared, so "down" is a proxy on loopback that the test cuts and restores.
"""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from app.auth.accounts import User
from app.core.config import Settings
from app.core.database import transaction
from app.core.events import EventEnvelope
from app.core.outbox import OutboxEvent, add_event
from app.core.publisher import EventPublisher, PublishResult
from app.core.relay import OutboxRelay, build_publisher
from tests.backends import Backend
from tests.broker import collecting, consuming, count_pending
from tests.identities import create_identity
from tests.servers import AppServer, serving
from tests.tcp_proxy import TcpProxy
from tests.waiting import eventually, wait_until


@pytest.fixture
async def broker_proxy(rabbitmq_url: str) -> AsyncIterator[TcpProxy]:
    async with TcpProxy.running(rabbitmq_url) as proxy:
        yield proxy


async def write_users(
    http: httpx.AsyncClient, created: list[int], stop: asyncio.Event, prefix: str, limit: int | None = None
) -> None:
    """Create users one after another until `stop`, `limit` of them, or the server going away."""
    number = 0
    while not stop.is_set() and (limit is None or number < limit):
        number += 1
        try:
            response = await http.post("/users", json={"email": f"{prefix}{number}@example.com", "name": "Writer"})
        except httpx.TransportError:
            return
        assert response.status_code == 201, response.text
        created.append(response.json()["id"])
        await asyncio.sleep(0.01)


def assert_once_each(handled: Sequence[EventEnvelope], user_ids: Sequence[int]) -> None:
    created = Counter(event.data["id"] for event in handled if event.type == "user.created")
    assert set(created) == set(user_ids), "every committed user has its event"
    assert max(created.values()) == 1, "no event handled twice"
    assert len({event.event_id for event in handled}) == len(handled)


async def all_user_ids(application: FastAPI) -> list[int]:
    async with application.state.session_factory() as session:
        return [int(i) for i in (await session.scalars(select(col(User.id)))).all()]


async def test_writes_go_on_while_the_broker_is_away_and_every_event_arrives_once(
    app: FastAPI, event_settings: Settings, broker_proxy: TcpProxy
) -> None:
    assert event_settings.RABBITMQ_URL
    proxied = event_settings.model_copy(update={"RABBITMQ_URL": broker_proxy.url_through(event_settings.RABBITMQ_URL)})
    created: list[int] = []
    stop = asyncio.Event()

    async with (
        consuming(event_settings, app.state.session_factory) as handled,
        serving(proxied) as (_, http, caller_id),
    ):
        writer = asyncio.create_task(write_users(http, created, stop, "outage"))
        await wait_until(lambda: len(handled) >= 5, 20)
        await broker_proxy.cut()
        cut_at = len(created)
        await wait_until(lambda: len(created) >= cut_at + 20, 20)  # writes succeed with the broker away
        assert await count_pending(app.state.session_factory) > 0
        await broker_proxy.restore()
        await wait_until(lambda: len(created) >= cut_at + 40, 20)
        stop.set()
        await writer
        await wait_until(lambda: len({e.event_id for e in handled}) >= len(created) + 1, 30)  # and the caller's
        await asyncio.sleep(0.5)  # a late duplicate would show up here

    assert await count_pending(app.state.session_factory) == 0
    assert_once_each(handled, [caller_id, *created])


async def test_an_app_killed_mid_stream_loses_no_event(
    app: FastAPI,
    event_settings: Settings,
    broker_proxy: TcpProxy,
    app_servers: Callable[[Settings, str], AppServer],
) -> None:
    assert event_settings.RABBITMQ_URL
    proxied = event_settings.model_copy(update={"RABBITMQ_URL": broker_proxy.url_through(event_settings.RABBITMQ_URL)})
    first, second = app_servers(proxied, "first"), app_servers(proxied, "second")
    # Minted here for the servers' database and JWT_SECRET; the caller's own event is among those to arrive.
    assert proxied.JWT_SECRET == app.state.settings.JWT_SECRET
    caller_id, token = await create_identity(app, is_superuser=True)
    created: list[int] = []
    stop = asyncio.Event()

    async with consuming(event_settings, app.state.session_factory) as handled:
        await first.start()
        async with first.client(token=token) as http:
            writer = asyncio.create_task(write_users(http, created, stop, "first"))
            await wait_until(lambda: len(handled) >= 5, 20)
            await broker_proxy.cut()  # events now pile up in the outbox...
            cut_at = len(created)
            await wait_until(lambda: len(created) >= cut_at + 10, 20)
            await first.kill()  # ...and the process dies with requests in flight
            await writer
        await broker_proxy.restore()
        await second.start()
        try:
            async with second.client(token=token) as http:
                await write_users(http, created, asyncio.Event(), "second", limit=10)
            committed = await all_user_ids(app)
            await wait_until(lambda: len({e.event_id for e in handled}) >= len(committed), 30)
            await asyncio.sleep(0.5)
        finally:
            await second.stop()

    assert set(created) <= set(committed)  # a request killed in flight may or may not have committed
    assert caller_id in committed
    assert_once_each(handled, committed)


class CountingPublisher:
    def __init__(self, inner: EventPublisher) -> None:
        self.inner = inner
        self.delivered = 0

    async def publish(self, events: Sequence[EventEnvelope]) -> PublishResult:
        result = await self.inner.publish(events)
        self.delivered += len(result.delivered)
        return result

    async def close(self) -> None:
        await self.inner.close()


async def test_several_relays_at_once_publish_each_event_once(
    backend: Backend, app: FastAPI, event_settings: Settings
) -> None:
    if backend.name != "postgres":
        pytest.skip("concurrent relays rely on PostgreSQL's FOR UPDATE SKIP LOCKED")
    assert event_settings.RABBITMQ_URL
    total = 300
    async with app.state.session_factory() as session, transaction(session):
        for number in range(total):
            await add_event(session, "user.created", {"id": number}, None)
    publishers = [CountingPublisher(build_publisher(event_settings, app.state.session_factory)) for _ in range(3)]
    relays = [OutboxRelay(app.state.session_factory, p, batch_size=10, poll_seconds=0.05) for p in publishers]

    async with collecting(event_settings.RABBITMQ_URL, event_settings.EVENTS_EXCHANGE) as deliveries:
        tasks = [asyncio.create_task(relay.run()) for relay in relays]
        await deliveries.wait_for(total)

        async def drained() -> bool:
            return await count_pending(app.state.session_factory) == 0

        await eventually(drained)
        await asyncio.sleep(0.5)
        for relay in relays:
            relay.stop()
        await asyncio.gather(*tasks)
        for publisher in publishers:
            await publisher.close()

    ids = deliveries.event_ids()
    assert len(ids) == total
    assert len(set(ids)) == total
    assert sum(p.delivered for p in publishers) == total
    assert sum(1 for p in publishers if p.delivered) >= 2, "the relays shared the work"
    async with app.state.session_factory() as session:
        unsent = await session.scalars(select(OutboxEvent).where(col(OutboxEvent.sent_at).is_(None)))
        assert unsent.all() == []
