"""API key request and response bodies."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.auth.rbac.schemas import Grants, validate_grants
from app.core.models import utcnow
from app.core.schemas import RequestSchema, UTCDatetime

KeyName = Annotated[str, Field(min_length=1, max_length=100)]


class ApiKeyCreate(RequestSchema):
    name: KeyName
    permissions: Grants | None = Field(
        default=None, max_length=50, description="As a role's; omitted: all of the owner's permissions"
    )
    expires_at: UTCDatetime | None = Field(default=None, description="Omitted: the key does not expire")

    @field_validator("permissions")
    @classmethod
    def _check_grants(cls, grants: Grants | None) -> Grants | None:
        return None if grants is None else validate_grants(grants)

    @field_validator("expires_at")
    @classmethod
    def _in_the_future(cls, expires_at: datetime | None) -> datetime | None:
        if expires_at is not None and expires_at <= utcnow():
            raise ValueError("must be in the future")
        return expires_at


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    permissions: Grants | None
    expires_at: datetime | None
    created_at: datetime
    last_used_at: datetime | None = None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The key itself: shown in this response only, never again")
