"""Base classes of request and response bodies."""

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

# Ids are INTEGER columns, 32-bit on PostgreSQL: a larger id from a client is a 422 here,
# not an overflow (500) in the driver. Works for path parameters and body fields alike.
MAX_ID = 2**31 - 1
ResourceId = Annotated[int, Field(ge=1, le=MAX_ID)]


def _as_utc(value: datetime) -> datetime:
    """Naive times are UTC; aware ones are converted, and must still be a real date in UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+14:00 is before year 1 in UTC
        raise ValueError("out of range once converted to UTC") from None


UTCDatetime = Annotated[datetime, AfterValidator(_as_utc)]


class RequestSchema(BaseModel):
    """A request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class PatchSchema(RequestSchema):
    """A PATCH body: every field optional, but `null` only where the column allows it."""

    nullable_fields: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def reject_null_for_required_fields(self) -> "PatchSchema":
        nulls = sorted(f for f in self.model_fields_set if getattr(self, f) is None and f not in self.nullable_fields)
        if nulls:
            raise ValueError(f"cannot be null: {', '.join(nulls)}")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class ResourceRead(BaseModel):
    """Fields every stored resource returns."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    updated_at: datetime
    version: int
