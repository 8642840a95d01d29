"""The audit API's query filters and response bodies."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.schemas import Id, RequestSchema, UTCDatetime

ChangeAction = Literal["INSERT", "UPDATE", "DELETE"]


class ChangeFilters(BaseModel):
    entity_type: str | None = Field(default=None, max_length=64, description="Table name, e.g. `users`")
    entity_id: Id | None = None
    actor_id: Id | None = None
    api_key_id: Id | None = None
    action: ChangeAction | None = None
    since: UTCDatetime | None = Field(default=None, description="Inclusive lower bound on created_at")
    until: UTCDatetime | None = Field(default=None, description="Exclusive upper bound on created_at")


class AccessFilters(BaseModel):
    user_id: Id | None = None
    api_key_id: Id | None = None
    path: str | None = Field(default=None, max_length=1024, description="Exact request path, e.g. `/users/3`")
    status_code: int | None = Field(default=None, ge=100, le=599)
    since: UTCDatetime | None = Field(default=None, description="Inclusive lower bound on created_at")
    until: UTCDatetime | None = Field(default=None, description="Exclusive upper bound on created_at")


class AuditChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    entity_type: str
    entity_id: int | None
    action: ChangeAction
    old_values: dict[str, Any] | None
    new_values: dict[str, Any] | None
    changed_fields: list[str] | None
    actor_id: int | None
    api_key_id: int | None
    request_id: str | None
    created_at: datetime
    reason: str | None


class AccessLogRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int | None
    api_key_id: int | None
    ip: str | None
    method: str
    path: str
    status_code: int
    duration_ms: float
    request_id: str | None
    user_agent: str | None
    created_at: datetime


class FieldChange(BaseModel):
    old: Any
    new: Any


class HistoryEntry(BaseModel):
    """One change of a record, as its history lists it."""

    version: int | None = Field(description="The version the change produced (for a DELETE: the version deleted)")
    action: ChangeAction
    at: datetime
    actor_id: int | None
    request_id: str | None
    reason: str | None = Field(description='Why, when not an ordinary write: "revert:N", "restore"')
    changes: dict[str, FieldChange]


class RevertRequest(RequestSchema):
    version: Id = Field(description="The version whose writable fields to set back")
