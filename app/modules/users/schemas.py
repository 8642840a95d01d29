from pydantic import BaseModel, Field

from app.auth.accounts import Name, Password
from app.core.schemas import Email, PatchSchema, RequestSchema, UTCDatetime


class UserReplace(RequestSchema):
    """PUT: every writable field; the password is left as it is."""

    email: Email
    name: Name
    surname: Name | None = None
    is_active: bool = True
    is_superuser: bool = False


class UserCreate(UserReplace):
    password: Password | None = None


class UserUpdate(PatchSchema):
    nullable_fields = frozenset({"surname"})

    email: Email | None = None
    name: Name | None = None
    surname: Name | None = None
    password: Password | None = None
    is_active: bool | None = None
    is_superuser: bool | None = None


class UserFilters(BaseModel):
    q: str | None = Field(default=None, max_length=200, description="Part of the email, name or surname, any case")


class UserSearchFilters(UserFilters):
    name: str | None = Field(default=None, max_length=100, description="Case-insensitive part of the name")
    created_after: UTCDatetime | None = Field(default=None, description="A date or an ISO 8601 datetime")


class UserStats(BaseModel):
    total: int
    created_last_7_days: int
    active: int
