from pydantic import BaseModel, EmailStr, Field

from app.auth.accounts import Name, Password, UserRead
from app.auth.rbac.schemas import RoleSummary
from app.core.schemas import PatchSchema, RequestSchema


class LoginRequest(RequestSchema):
    email: EmailStr
    # No length rules on the way in: a wrong password is a 401, never a 422 hinting at the policy.
    password: str = Field(max_length=1024)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int


class RefreshRequest(RequestSchema):
    refresh_token: str = Field(max_length=4096)


class LogoutRequest(RequestSchema):
    refresh_token: str | None = Field(default=None, max_length=4096)


class ChangePasswordRequest(RequestSchema):
    current_password: str = Field(max_length=1024)
    new_password: Password


class MeUpdate(PatchSchema):
    nullable_fields = frozenset({"surname"})

    name: Name | None = None
    surname: Name | None = None


class MeRead(UserRead):
    roles: list[RoleSummary]
    permissions: list[str]
