"""Every table of the service, imported in one place so SQLModel.metadata knows the whole schema."""

from app.auth.models import AuthSession, RefreshToken, UserRevokedToken
from app.auth.rbac.models import Role, RoleGrant, UserRole
from app.modules.users.models import User

__all__ = ["AuthSession", "RefreshToken", "Role", "RoleGrant", "User", "UserRevokedToken", "UserRole"]
