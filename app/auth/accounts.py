"""The accounts callers sign in with: the `users` table, the queries sign-in and permissions
need, and an account's public shape.

They live here, below the users module, because signing in, sessions, roles and API keys
all read accounts: the users module (the `/users` API over them) builds on this, never
the other way round.
"""

from datetime import datetime
from typing import Annotated

from pydantic import Field as SchemaField
from sqlalchemy import func, select
from sqlmodel import Field, col

from app.core.auditable import auditable
from app.core.models import VersionedTable
from app.core.pagination import SortedListQuery, sort_field
from app.core.repository import BaseRepository
from app.core.schemas import ResourceRead
from app.core.service import CrudService

Name = Annotated[str, SchemaField(min_length=1, max_length=100)]
Password = Annotated[str, SchemaField(min_length=8, max_length=128)]


@auditable(secrets={"hashed_password"})
class User(VersionedTable, table=True):
    __tablename__ = "users"

    # Stored lower-cased, so the unique index makes addresses unique case-insensitively.
    email: str = Field(max_length=255, unique=True, index=True)
    name: str = Field(max_length=100, index=True)
    surname: str | None = Field(default=None, max_length=100)
    hashed_password: str | None = Field(default=None, max_length=255, repr=False)
    is_active: bool = Field(default=True, index=True)
    is_superuser: bool = Field(default=False)


class UserRead(ResourceRead):
    email: str
    name: str
    surname: str | None
    is_active: bool
    is_superuser: bool


class UserSortedQuery(SortedListQuery):
    """Users in any list of them (`GET /users`, a role's holders) sort by these."""

    sortable = ("id", "email", "name", "surname", "created_at", "updated_at")
    sort: str = sort_field(sortable)


_ACTIVE_SUPERUSER = (col(User.is_superuser).is_(True), col(User.is_active).is_(True))


class UserRepository(BaseRepository[User]):
    model = User

    async def get_by_email(self, email: str) -> User | None:
        result: User | None = await self.session.scalar(select(User).where(col(User.email) == email.lower()))
        return result

    async def lock_active_superusers(self) -> None:
        """Lock the active superusers' rows until the transaction ends (PostgreSQL; a no-op on SQLite)."""
        statement = select(col(User.id)).where(*_ACTIVE_SUPERUSER).order_by(col(User.id)).with_for_update()
        await self.session.execute(statement)

    async def count_active_superusers(self) -> int:
        return int(await self.session.scalar(select(func.count()).where(*_ACTIVE_SUPERUSER)) or 0)

    async def stats(self, since: datetime) -> tuple[int, int, int]:
        statement = select(
            func.count(),
            func.count().filter(col(User.created_at) >= since),
            func.count().filter(col(User.is_active).is_(True)),
        )
        total, recent, active = (await self.session.execute(statement)).one()
        return int(total), int(recent), int(active)


class AccountService(CrudService[User]):
    """Accounts as signing in and roles use them: found (404 otherwise), listed, and a caller's
    own name changed (`PATCH /auth/me`). The users module's `UserService` extends it with the
    rules for everything else an account holds (email, password, state, superuser status).
    """

    repository_class = UserRepository
    resource_name = "User"
    repository: UserRepository
    unique_fields = ("email",)
