"""Column types and the base every stored resource shares: id, timestamps, version."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Table, TypeDecorator, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapper, declared_attr
from sqlmodel import Field, SQLModel

# Primary keys are INTEGER columns: a larger id names no row (and PostgreSQL rejects it as a parameter).
MAX_ID = 2**31 - 1
# Stable constraint names, so Alembic can diff and batch-alter them on every back end.
# Set here, where every table's module imports from, because a name is given when a
# constraint is attached to its table: a convention set later is ignored for it.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every back end (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# The version a row inserted in this context starts at: 1, except for a row put back after a
# delete, which continues the sequence it had (so one id never shows two different version 3s).
_first_version_var: ContextVar[int] = ContextVar("first_version", default=1)


@contextmanager
def continuing_version(first: int) -> Iterator[None]:
    """Rows inserted inside the block start at version `first` instead of 1."""
    token = _first_version_var.set(first)
    try:
        yield
    finally:
        _first_version_var.reset(token)


def _next_version(current: int | None) -> int:
    # SQLAlchemy's version counter: called with None for an INSERT, else with the loaded version.
    return _first_version_var.get() if current is None else current + 1


class VersionedTable(SQLModel):
    """Base of every resource table.

    `version` is SQLAlchemy's version counter: each UPDATE is issued as
    `... WHERE id = :id AND version = :loaded`, so a concurrent write is detected by
    the database itself rather than by a read-then-compare in Python.
    """

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_type=UTCDateTime,
        nullable=False,
        sa_column_kwargs={"onupdate": utcnow},
    )
    version: int = Field(default=1, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version, "version_id_generator": _next_version}  # type: ignore[attr-defined]  # __table__ exists once SQLModel maps the class


@event.listens_for(VersionedTable, "instrument_class", propagate=True)
def _never_reuse_ids(mapper: Mapper[Any], _cls: type[Any]) -> None:
    """AUTOINCREMENT on SQLite: without it a deleted newest row's id is handed to the next row,
    and that id's history (read from the audit trail) would tell of two records as one."""
    table = mapper.local_table
    if isinstance(table, Table):
        table.dialect_options["sqlite"]["autoincrement"] = True
