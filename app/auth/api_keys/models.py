"""API keys: long-lived, scoped credentials for programs, and when each was last used."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.core.auditable import auditable
from app.core.models import UTCDateTime, utcnow


@auditable(secrets={"key_hash"})
class ApiKey(SQLModel, table=True):
    """One key. Created and revoked, never changed: its trail is an INSERT and a DELETE."""

    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    # No ON DELETE action (the table is audited): a user's keys are deleted through the ORM first.
    user_id: int = Field(foreign_key="users.id", index=True)
    name: str = Field(max_length=100)
    # The key's public start (`ak_` and 12 hex digits): how a presented key finds its row.
    prefix: str = Field(max_length=15, unique=True)
    # sha256 of the whole key: a leaked table hands out no working key.
    key_hash: str = Field(max_length=64, repr=False)
    # A role's shape ({"products": ["read", "create"]}); NULL means all of the owner's.
    permissions: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True)))
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ApiKeyUsage(SQLModel, table=True):
    """When a key was last used, to the minute: a table of its own, so recording it is neither
    an audited change of the key nor a change that makes every process verify callers again."""

    __tablename__ = "api_key_usage"

    api_key_id: int = Field(foreign_key="api_keys.id", primary_key=True, ondelete="CASCADE")
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
