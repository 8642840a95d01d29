from typing import Annotated

from pydantic import BaseModel, Field

from app.core.schemas import Email, PatchSchema, RequestSchema, ResourceRead

Name = Annotated[str, Field(min_length=1, max_length=200)]
Phone = Annotated[str, Field(min_length=1, max_length=32)]
Company = Annotated[str, Field(min_length=1, max_length=200)]
Notes = Annotated[str, Field(max_length=5_000)]


class CustomerCreate(RequestSchema):
    """POST: optional fields left out take their defaults."""

    name: Name
    email: Email
    phone: Phone | None = None
    company: Company | None = None
    notes: Notes | None = None


class CustomerReplace(CustomerCreate):
    """PUT: the fields of a create; optional ones left out go back to their defaults."""


class CustomerUpdate(PatchSchema):
    nullable_fields = frozenset({"phone", "company", "notes"})

    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    company: Company | None = None
    notes: Notes | None = None


class CustomerRead(ResourceRead):
    name: str
    email: str
    phone: str | None
    company: str | None
    notes: str | None


class CustomerFilters(BaseModel):
    q: str | None = Field(default=None, max_length=200, description="Part of the name or email, any case")
    company: str | None = Field(default=None, max_length=200, description="Part of the company name, any case")
