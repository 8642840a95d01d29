"""The transactional outbox: events are rows written in the same transaction as the change.

A committed change therefore always has its event, and a rolled-back one never does;
the relay (app.core.relay) publishes the rows afterwards.
"""

import asyncio
import contextlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Table, bindparam, delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from app.core.context import current_request_id
from app.core.database import mark_written
from app.core.events import EventEnvelope
from app.core.models import UTCDateTime, utcnow
from app.core.trace_context import current_traceparent

OUTBOX_TABLE = "outbox_events"


class OutboxEvent(SQLModel, table=True):
    __tablename__ = OUTBOX_TABLE
    # The relay's only query: pending rows in order. A partial index keeps it small forever.
    __table_args__ = (
        Index(
            "ix_outbox_events_pending",
            "id",
            postgresql_where=text("sent_at IS NULL"),
            sqlite_where=text("sent_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=64, unique=True)
    type: str = Field(max_length=100)
    occurred_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    trace_id: str | None = Field(default=None, max_length=128)
    actor_id: int | None = Field(default=None)
    data: dict[str, Any] = Field(sa_type=JSON, nullable=False)
    traceparent: str | None = Field(default=None, max_length=55)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    def envelope(self) -> EventEnvelope:
        return EventEnvelope(
            event_id=self.event_id,
            type=self.type,
            occurred_at=self.occurred_at,
            trace_id=self.trace_id,
            actor_id=self.actor_id,
            data=self.data,
            traceparent=self.traceparent,
        )


OUTBOX: Table = SQLModel.metadata.tables[OUTBOX_TABLE]
# Built once: a statement memoizes its cache key, and values bound at execution keep it the same.
_INSERT_EVENT = insert(OUTBOX)


async def add_event(session: AsyncSession, type_: str, data: dict[str, Any], actor_id: int | None) -> EventEnvelope:
    """Queue an event in the caller's open transaction; it is published only if that commits."""
    event = EventEnvelope(
        event_id=str(uuid.uuid4()),
        type=type_,
        occurred_at=utcnow(),
        trace_id=current_request_id(),
        actor_id=actor_id,
        data=data,
        traceparent=current_traceparent(),
    )
    # A Core insert on the table, not the mapped class: the outbox is plumbing, not a resource
    # for the ORM hooks (audit, cache) to see, and the ORM's bulk-insert path around an entity
    # cost a twentieth of a create.
    await session.execute(_INSERT_EVENT, {**event.model_dump(), "traceparent": event.traceparent})
    mark_written(session, OUTBOX_TABLE)
    return event


# The relay's two statements, built once like the insert (their limit and ids bound at execution).
# Core on the table: the claimed rows only become envelopes, and the ORM's bulk-update path
# (synchronizing a session that holds the claimed rows) would be work nobody reads.
_CLAIM_PENDING = (
    select(*(OUTBOX.c[name] for name in EventEnvelope.model_fields))
    .where(OUTBOX.c.sent_at.is_(None))
    .order_by(OUTBOX.c.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_MARK_SENT = update(OUTBOX).where(OUTBOX.c.event_id.in_(bindparam("event_ids", expanding=True)))


async def claim_pending(session: AsyncSession, limit: int) -> list[EventEnvelope]:
    """The oldest unsent events, their rows locked for this transaction.

    On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several relays work side by side: each
    takes rows the others have not locked, so no row is published by two of them.
    SQLite ignores the clause; it has a single writer anyway (docs/EVENTS.md).
    """
    result = await session.execute(_CLAIM_PENDING, {"limit": limit})
    return [EventEnvelope(**row) for row in result.mappings()]


async def prune_sent(session: AsyncSession, sent_before: datetime) -> int:
    """Delete the rows published before `sent_before`; pending rows are never touched."""
    result = await session.execute(delete(OUTBOX).where(OUTBOX.c.sent_at < sent_before))
    return int(getattr(result, "rowcount", 0) or 0)


async def mark_sent(session: AsyncSession, event_ids: Sequence[str]) -> None:
    if event_ids:
        await session.execute(_MARK_SENT, {"event_ids": list(event_ids), "sent_at": utcnow()})


class OutboxSignal:
    """Wakes the relay as soon as a transaction that wrote events commits, instead of at its next poll."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    async def after_commit(self, tables: frozenset[str]) -> None:
        if OUTBOX_TABLE in tables:
            self._event.set()

    def wake(self) -> None:
        self._event.set()

    async def wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), seconds)
        self._event.clear()
