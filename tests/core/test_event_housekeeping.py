"""`events prune`: published outbox rows and old receipts go; pending events and recent rows stay."""

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.database import transaction
from app.core.inbox import ProcessedEvent, prune_processed
from app.core.models import utcnow
from app.core.outbox import OutboxEvent, prune_sent


def _event(event_id: str, days_ago: int, sent: bool) -> OutboxEvent:
    at = utcnow() - timedelta(days=days_ago)
    return OutboxEvent(event_id=event_id, type="user.created", occurred_at=at, data={}, sent_at=at if sent else None)


async def test_prune_keeps_pending_events_and_recent_rows(session: AsyncSession) -> None:
    await session.execute(delete(OutboxEvent))  # the caller's own user.created, made by the fixtures
    now = utcnow()
    session.add_all(
        [
            _event("old-sent", days_ago=10, sent=True),
            _event("recent-sent", days_ago=1, sent=True),
            _event("old-pending", days_ago=10, sent=False),
            ProcessedEvent(consumer="audit", event_id="old", processed_at=now - timedelta(days=40)),
            ProcessedEvent(consumer="audit", event_id="recent", processed_at=now - timedelta(days=2)),
        ]
    )
    await session.commit()

    async with transaction(session):
        sent = await prune_sent(session, now - timedelta(days=7))
        processed = await prune_processed(session, now - timedelta(days=30))

    outbox = await session.scalars(select(col(OutboxEvent.event_id)).order_by(col(OutboxEvent.event_id)))
    receipts = await session.scalars(select(col(ProcessedEvent.event_id)))
    assert (sent, processed) == (1, 1)
    assert list(outbox) == ["old-pending", "recent-sent"]
    assert list(receipts) == ["recent"]
