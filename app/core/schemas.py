"""Base classes of request and response bodies, and field types several modules share."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, PlainSerializer, model_validator

from app.core.models import MAX_ID

# The id of a resource, in a path, a body or a filter: a value past the 32-bit id columns
# is a 422 here, not an overflow (500) in the driver.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

# Stored lower-cased, so a unique index makes addresses unique case-insensitively.
Email = Annotated[EmailStr, Field(max_length=255), AfterValidator(str.lower)]

# An exact amount for a Numeric(12, 2) column: a JSON number or string in, at most two
# decimals (422 otherwise, never rounded), and out as a string with two ("19.90"), so no
# client ever parses it into a binary float.
Money = Annotated[
    Decimal,
    Field(max_digits=12, decimal_places=2),
    # 19.9 becomes 19.90 here, as the column stores it, so the audit trail and events agree.
    AfterValidator(lambda amount: (amount + 0).quantize(Decimal("0.01"))),  # + 0 turns -0 into 0
    PlainSerializer(lambda amount: f"{amount:.2f}", return_type=str, when_used="json"),
]


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
