from datetime import date
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, Text
from sqlmodel import Field

from app.core.auditable import auditable
from app.core.models import VersionedTable


class TaskStatus(StrEnum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class TaskPriority(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


def _one_of(column: str, values: type[StrEnum]) -> CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_valid")


@auditable()
class Task(VersionedTable, table=True):
    __tablename__ = "tasks"
    # Plain strings with a CHECK rather than native enum types: adding a value later is
    # a constraint change, not an ALTER TYPE, and SQLite and PostgreSQL behave alike.
    __table_args__ = (
        _one_of("status", TaskStatus),
        _one_of("priority", TaskPriority),
        Index("ix_tasks_updated_at", "updated_at"),
    )

    title: str = Field(max_length=200, index=True)
    description: str | None = Field(default=None, sa_type=Text)
    status: str = Field(default=TaskStatus.TODO, max_length=20, index=True)
    priority: str = Field(default=TaskPriority.MEDIUM, max_length=20, index=True)
    due_date: date | None = Field(default=None, index=True)
    # No ON DELETE SET NULL: users and customers clear these one task at a time before
    # they go, so each change is audited.
    assignee_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    customer_id: int | None = Field(default=None, foreign_key="customers.id", index=True)
