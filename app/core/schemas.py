"""Base classes of request and response bodies, and field types several modules share."""

import re
import types
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    PlainSerializer,
    Strict,
    model_validator,
)

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


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _iso_text(value: object) -> object:
    """Dates come as ISO 8601 text: pydantic would take a number (`0.5`, `"1700000000"`) as a Unix time."""
    if isinstance(value, date):  # built by our own code, not parsed
        return value
    if not isinstance(value, str) or _NUMBER.fullmatch(value.strip()):
        raise ValueError("must be an ISO 8601 date as a string, such as 2024-05-01")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_text)]
UTCDatetime = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_as_utc)]


def _scalar(annotation: Any) -> Any:
    """`int` for `int`, `Id`, `int | None`; the annotation itself for anything else."""
    if get_origin(annotation) is Annotated:
        return _scalar(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        members = [_scalar(member) for member in get_args(annotation) if member is not type(None)]
        return members[0] if len(members) == 1 else annotation
    return annotation


class RequestSchema(BaseModel):
    """A request body: unknown fields are an error, not silently dropped.

    Its boolean and integer fields are strict: JSON has those types, so `0`, `"true"` or
    `1.0` sent for one is a client's mistake (422), not a value to coerce. Done here, for
    every body, by marking those fields `Strict()` as each schema class is made.
    """

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        lax = [
            field
            for field in cls.model_fields.values()
            if _scalar(field.annotation) in (bool, int) and not any(isinstance(m, Strict) for m in field.metadata)
        ]
        for field in lax:
            field.metadata.append(Strict())
        if lax:
            cls.model_rebuild(force=True)


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
