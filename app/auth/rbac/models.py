from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.auditable import auditable
from app.core.models import VersionedTable


@auditable()
class Role(VersionedTable, table=True):
    __tablename__ = "roles"

    name: str = Field(max_length=50, unique=True, index=True)
    description: str | None = Field(default=None, max_length=255)


@auditable()
class RoleGrant(SQLModel, table=True):
    """One action of one module granted by a role (`read` is stored explicitly)."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("role_id", "module", "action", name="uq_role_grants_role_module_action"),)

    id: int | None = Field(default=None, primary_key=True)
    role_id: int = Field(foreign_key="roles.id", index=True)
    module: str = Field(max_length=50)
    action: str = Field(max_length=20)


@auditable()
class UserRole(SQLModel, table=True):
    """A user holds a role. Audited like the rest: links go one by one through the ORM, also
    when their user or role is deleted (no ON DELETE actions)."""

    __tablename__ = "user_roles"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    role_id: int = Field(foreign_key="roles.id", primary_key=True, index=True)
