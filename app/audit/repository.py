"""Data access for the audit tables: the generic repository, plus the batch writes that only
append-only logs need (batched inserts, archive deletes, restore)."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select

from app.audit.models import AccessLog, AuditChange
from app.core.repository import BaseRepository, ModelT


class AuditLogRepository(BaseRepository[ModelT]):
    async def insert_many(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(insert(self.model), list(rows))

    async def existing_ids(self, ids: Sequence[int]) -> set[int]:
        found = await self.session.scalars(select(self.model.id).where(self.model.id.in_(ids)))
        return set(found.all())

    async def delete_ids(self, ids: Sequence[int]) -> int:
        result = await self.session.execute(delete(self.model).where(self.model.id.in_(ids)))
        return int(getattr(result, "rowcount", 0) or 0)

    async def after_id(self, last_id: int, filters: Sequence[Any], limit: int) -> Sequence[ModelT]:
        """The next rows in id order: a keyset walk through a table too large to hold at once."""
        statement = select(self.model).where(self.model.id > last_id, *filters).order_by(self.model.id).limit(limit)
        return list((await self.session.scalars(statement)).all())


class AuditChangeRepository(AuditLogRepository[AuditChange]):
    model = AuditChange


class AccessLogRepository(AuditLogRepository[AccessLog]):
    model = AccessLog
