"""The audit trail's two append-only tables: row changes (CDC) and HTTP access."""

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Column, Index, Integer
from sqlmodel import Field, SQLModel

from app.core.models import UTCDateTime, utcnow

# BIGINT on PostgreSQL (these tables grow fastest); SQLite needs INTEGER for its rowid alias.
AuditId = BigInteger().with_variant(Integer(), "sqlite")
# Python None is SQL NULL, not the JSON document `null`, so `IS NULL` finds it.
NullableJSON = JSON(none_as_null=True)


class AuditChange(SQLModel, table=True):
    __tablename__ = "audit_changes"
    # AUTOINCREMENT: SQLite must never hand an archived row's id to a new row, or a
    # restore would take the new row for the archived one and skip it.
    __table_args__: ClassVar[Any] = (
        # A record's history, newest first, is one range of this index.
        Index("ix_audit_changes_entity", "entity_type", "entity_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_column=Column(AuditId, primary_key=True))
    entity_type: str = Field(max_length=64)
    entity_id: int | None = Field(default=None, sa_type=BigInteger)
    action: str = Field(max_length=6, index=True)
    old_values: dict[str, Any] | None = Field(default=None, sa_column=Column(NullableJSON))
    new_values: dict[str, Any] | None = Field(default=None, sa_column=Column(NullableJSON))
    changed_fields: list[str] | None = Field(default=None, sa_column=Column(NullableJSON))
    actor_id: int | None = Field(default=None, index=True)
    # The API key the actor presented, when it presented one (no foreign key: the trail outlives the key).
    api_key_id: int | None = Field(default=None, index=True)
    request_id: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    # Why the change was made, when it was not an ordinary write: "revert:3", "restore".
    reason: str | None = Field(default=None, max_length=64)


class AccessLog(SQLModel, table=True):
    __tablename__ = "audit_access"
    __table_args__: ClassVar[Any] = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, sa_column=Column(AuditId, primary_key=True))
    user_id: int | None = Field(default=None, index=True)
    api_key_id: int | None = Field(default=None, index=True)
    ip: str | None = Field(default=None, max_length=45)
    method: str = Field(max_length=16)
    path: str = Field(max_length=1024, index=True)
    status_code: int = Field(index=True)
    duration_ms: float
    request_id: str | None = Field(default=None, max_length=128)
    user_agent: str | None = Field(default=None, max_length=512)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
