"""Data access for the audit tables: the generic repository, plus the batch writes that only
append-only logs need (batched inserts, archive deletes, restore)."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, delete, insert, select
from sqlalchemy.sql.schema import ColumnDefault
from sqlmodel import SQLModel, col

from app.audit.models import AccessLog, AuditChange
from app.core.repository import BaseRepository, ModelT

ACCESS_LOG: Table = SQLModel.metadata.tables[AccessLog.__tablename__]
# What the writer's rows fill: every column but the generated id.
_APPENDED_COLUMNS = [column for column in ACCESS_LOG.columns if not column.primary_key]


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

    @staticmethod
    def of_record(entity_type: str, entity_id: int) -> list[ColumnElement[bool]]:
        """The filters selecting one record's rows (served by the (entity_type, entity_id, id) index)."""
        return [col(AuditChange.entity_type) == entity_type, col(AuditChange.entity_id) == entity_id]

    async def record_changes(self, entity_type: str, entity_id: int) -> Sequence[AuditChange]:
        """Every change of one record still in the table, oldest first."""
        statement = select(AuditChange).where(*self.of_record(entity_type, entity_id)).order_by(col(AuditChange.id))
        return list((await self.session.scalars(statement)).all())

    async def first_change(self, entity_type: str, entity_id: int) -> AuditChange | None:
        """The oldest change of one record still in the table."""
        statement = select(AuditChange).where(*self.of_record(entity_type, entity_id)).order_by(col(AuditChange.id))
        found: AuditChange | None = await self.session.scalar(statement.limit(1))
        return found


class AccessLogRepository(AuditLogRepository[AccessLog]):
    model = AccessLog

    async def append(self, rows: Sequence[dict[str, Any]]) -> None:
        """The access-log writer's batches (rows without `id`; a column left out takes its default).

        On PostgreSQL by COPY, which costs the server and this process a fraction of a
        multi-row INSERT: the writer shares the event loop with the requests it logs, and
        must keep up with them when the database host is busy too.
        """
        if not rows:
            return
        connection = await self.session.connection()
        if connection.dialect.name != "postgresql":
            await self.insert_many(rows)
            return
        # The commit does not wait for the WAL to reach the disk (the server writes it out
        # within a fraction of a second). The rows are already queued in memory for up to
        # a second before this: waiting on a slow disk's fsync as well made the writer
        # fall behind and drop rows, whereas a crash of the server now loses no more than
        # a crash of this process would.
        await connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        records = [[_value(row, column) for column in _APPENDED_COLUMNS] for row in rows]
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection  # asyncpg's own connection, under SQLAlchemy's adapter
        await driver.copy_records_to_table(
            ACCESS_LOG.name, columns=[column.name for column in _APPENDED_COLUMNS], records=records
        )


def _value(row: dict[str, Any], column: Column[Any]) -> Any:
    """The row's value for `column`, or what an INSERT would have put there (its Python-side default)."""
    if column.key in row:
        return row[column.key]
    if not isinstance(column.default, ColumnDefault):
        return None
    default: Any = column.default.arg  # a value, or a callable SQLAlchemy wrapped to take the execution context
    return default(None) if column.default.is_callable else default
