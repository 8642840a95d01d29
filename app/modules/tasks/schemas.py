from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field

from app.core.schemas import Id, IsoDate, PatchSchema, RequestSchema, ResourceRead
from app.modules.tasks.models import TaskPriority, TaskStatus

Title = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=5_000)]


class TaskCreate(RequestSchema):
    """POST: optional fields left out take their defaults."""

    title: Title
    description: Description | None = None
    status: TaskStatus = TaskStatus.TODO
    priority: TaskPriority = TaskPriority.MEDIUM
    due_date: IsoDate | None = None
    assignee_id: Id | None = None
    customer_id: Id | None = None


class TaskReplace(TaskCreate):
    """PUT: the fields of a create; optional ones left out go back to their defaults."""


class TaskUpdate(PatchSchema):
    nullable_fields = frozenset({"description", "due_date", "assignee_id", "customer_id"})

    title: Title | None = None
    description: Description | None = None
    status: TaskStatus | None = None
    priority: TaskPriority | None = None
    due_date: IsoDate | None = None
    assignee_id: Id | None = None
    customer_id: Id | None = None


class TaskRead(ResourceRead):
    title: str
    description: str | None
    status: TaskStatus
    priority: TaskPriority
    due_date: date | None
    assignee_id: int | None
    customer_id: int | None


class TaskFilters(BaseModel):
    q: str | None = Field(default=None, max_length=200, description="Part of the title or description, any case")
    status: TaskStatus | None = None
    priority: TaskPriority | None = None
    assignee_id: Id | None = None
    customer_id: Id | None = None
    due_before: IsoDate | None = Field(default=None, description="Due strictly before this date")
