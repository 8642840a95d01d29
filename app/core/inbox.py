"""The consumer's memory of handled events, so that a redelivered event is skipped."""

from datetime import datetime

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from app.core.models import UTCDateTime, utcnow


class ProcessedEvent(SQLModel, table=True):
    __tablename__ = "processed_events"

    consumer: str = Field(primary_key=True, max_length=200)
    event_id: str = Field(primary_key=True, max_length=64)
    processed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class AlreadyProcessed(Exception):
    """This consumer has handled the event before (a redelivery or a republished duplicate)."""


async def record_processed(session: AsyncSession, consumer: str, event_id: str) -> None:
    """Claim the event for `consumer` in the open transaction, or raise AlreadyProcessed.

    The primary key decides: of two deliveries racing, the second waits for the first's
    transaction and then fails here, so the handlers run once per committed claim.
    """
    try:
        await session.execute(
            insert(ProcessedEvent).values(consumer=consumer, event_id=event_id, processed_at=utcnow())
        )
    except IntegrityError as exc:
        raise AlreadyProcessed(event_id) from exc


async def prune_processed(session: AsyncSession, processed_before: datetime) -> int:
    """Forget receipts older than `processed_before`: a duplicate arriving after that runs again."""
    result = await session.execute(delete(ProcessedEvent).where(col(ProcessedEvent.processed_at) < processed_before))
    return int(getattr(result, "rowcount", 0) or 0)
