"""`python -m app events consume` against the real RabbitMQ: logs each event once, acks after handling."""

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aio_pika
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.config import Settings
from app.core.events import EventEnvelope
from app.core.inbox import ProcessedEvent
from app.core.outbox import OutboxEvent
from tests.broker import consuming
from tests.factories import create_user
from tests.servers import serving, settings_environment
from tests.waiting import wait_until


class ConsumerProcess:
    """The CLI consumer as a child process, its JSON log lines parsed as they come."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[dict[str, Any]] = []
        self._reader = asyncio.create_task(self._read())

    def logged(self, event: str) -> list[dict[str, Any]]:
        return [line for line in self.lines if line.get("event") == event]

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            try:
                self.lines.append(json.loads(raw))
            except ValueError:
                self.lines.append({"event": raw.decode(errors="replace").rstrip()})

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), 20)
        await self._reader
        return code


@asynccontextmanager
async def consumer_process(settings: Settings, workdir: Path) -> AsyncIterator[ConsumerProcess]:
    environment = settings_environment(settings.model_copy(update={"LOG_FORMAT": "json", "LOG_LEVEL": "INFO"}))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app", "events", "consume", cwd=workdir, env=environment, stderr=asyncio.subprocess.PIPE
    )
    consumer = ConsumerProcess(process)
    try:
        await wait_until(lambda: bool(consumer.logged("consumer_started")), 20, lambda: str(consumer.lines[-5:]))
        yield consumer
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def republish(settings: Settings, event: EventEnvelope) -> None:
    """The same event again, as a relay that lost the broker's confirmation would send it."""
    assert settings.RABBITMQ_URL
    connection = await aio_pika.connect(settings.RABBITMQ_URL)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(settings.EVENTS_EXCHANGE)
        message = aio_pika.Message(event.model_dump_json().encode(), message_id=event.event_id)
        await exchange.publish(message, routing_key=event.type)


async def test_consume_logs_each_event_with_its_trace_id_once(
    event_settings: Settings, session: AsyncSession, tmp_path: Path
) -> None:
    async with consumer_process(event_settings, tmp_path) as consumer, serving(event_settings) as (_, http, caller_id):
        response = await http.post(
            "/users", json={"email": "ann@example.com", "name": "Ann"}, headers={"X-Request-Id": "trace-cli"}
        )
        user_id = response.json()["id"]
        received = f"Received event user.created with user_id={user_id}"
        caller_received = f"Received event user.created with user_id={caller_id}"  # the caller's own event
        await wait_until(lambda: bool(consumer.logged(received)), 20, lambda: str(consumer.lines[-5:]))
        await wait_until(lambda: bool(consumer.logged(caller_received)), 20, lambda: str(consumer.lines[-5:]))

        [row] = (await session.scalars(select(OutboxEvent).where(col(OutboxEvent.trace_id) == "trace-cli"))).all()
        await republish(event_settings, row.envelope())
        await wait_until(lambda: bool(consumer.logged("event_duplicate_skipped")), 20)
        exit_code = await consumer.stop()

    [line] = consumer.logged(received)
    assert line["trace_id"] == "trace-cli"
    assert line["event_id"] == row.event_id
    assert row.data["id"] == user_id
    assert len(consumer.logged(caller_received)) == 1
    assert [skipped["event_id"] for skipped in consumer.logged("event_duplicate_skipped")] == [row.event_id]
    assert exit_code == 0
    assert await session.scalar(select(func.count()).select_from(ProcessedEvent)) == 2  # Ann's and the caller's


async def test_a_failed_handler_is_not_acknowledged_and_the_event_comes_back(
    app: FastAPI, event_settings: Settings, session: AsyncSession
) -> None:
    """The consumer acks only after its handlers commit: a failure means a redelivery, handled once."""
    async with (
        consuming(event_settings, app.state.session_factory, failures=1) as handled,
        serving(event_settings) as (_, http, caller_id),
    ):
        user = await create_user(http)
        await wait_until(lambda: len(handled) == 2, 20)  # the user's event and the caller's own
        await asyncio.sleep(0.3)

    assert sorted(event.data["id"] for event in handled) == sorted([caller_id, user["id"]])
    assert await session.scalar(select(func.count()).select_from(ProcessedEvent)) == 2
