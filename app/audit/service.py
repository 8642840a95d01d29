"""Reading the audit trail: filters in, newest rows first."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.audit.models import AccessLog, AuditChange
from app.audit.repository import AccessLogRepository, AuditChangeRepository
from app.audit.schemas import AccessFilters, ChangeFilters
from app.core.pagination import Page, Pagination, SortField

NEWEST_FIRST = (SortField("created_at", descending=True), SortField("id", descending=True))


class AuditService:
    def __init__(self, session: AsyncSession) -> None:
        self.changes = AuditChangeRepository(session)
        self.access = AccessLogRepository(session)

    async def list_changes(
        self, query: ChangeFilters, pagination: Pagination, sort: Sequence[SortField] = NEWEST_FIRST
    ) -> Page[AuditChange]:
        filters: list[Any] = [
            *_equal(AuditChange, query, "entity_type", "entity_id", "actor_id", "api_key_id", "action"),
            *_time_window(AuditChange, query.since, query.until),
        ]
        return await self.changes.page(filters=filters, sort=sort, skip=pagination.skip, limit=pagination.limit)

    async def list_access(
        self, query: AccessFilters, pagination: Pagination, sort: Sequence[SortField] = NEWEST_FIRST
    ) -> Page[AccessLog]:
        filters: list[Any] = [
            *_equal(AccessLog, query, "user_id", "api_key_id", "path", "status_code"),
            *_time_window(AccessLog, query.since, query.until),
        ]
        return await self.access.page(filters=filters, sort=sort, skip=pagination.skip, limit=pagination.limit)


def _equal(model: type[Any], query: ChangeFilters | AccessFilters, *fields: str) -> list[Any]:
    return [col(getattr(model, name)) == getattr(query, name) for name in fields if getattr(query, name) is not None]


def _time_window(model: type[Any], since: Any, until: Any) -> list[Any]:
    created_at = col(model.created_at)
    return [
        *([created_at >= since] if since is not None else []),
        *([created_at < until] if until is not None else []),
    ]
