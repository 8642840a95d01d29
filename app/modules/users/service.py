from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlmodel import col

from app.auth.passwords import hash_password
from app.auth.rbac import repository as rbac_repository
from app.auth.repository import AuthRepository
from app.core.errors import Forbidden
from app.core.models import utcnow
from app.core.pagination import Page, Pagination, SortField
from app.core.repository import ilike_contains
from app.core.service import CrudService
from app.modules.posts import repository as posts_repository
from app.modules.tasks import repository as tasks_repository
from app.modules.users.models import User
from app.modules.users.repository import UserRepository
from app.modules.users.schemas import UserStats


class UserService(CrudService[User]):
    repository_class = UserRepository
    resource_name = "User"
    repository: UserRepository
    unique_fields = ("email",)

    async def create(self, values: dict[str, Any]) -> User:
        return await super().create(await self._hash_password_field(values))

    async def update(self, id_: int, values: dict[str, Any], expected_version: int | None = None) -> User:
        return await super().update(id_, await self._hash_password_field(values), expected_version)

    async def after_update(self, instance: User, values: dict[str, Any]) -> None:
        if "hashed_password" in values:  # a password set by an admin ends that user's sessions
            assert instance.id is not None
            await AuthRepository(self.session).revoke_sessions(instance.id)

    async def check_write(self, values: dict[str, Any], current: User | None) -> None:
        if "is_superuser" in values and not self._may_set_superuser(values["is_superuser"], current):
            raise Forbidden("Only a superuser can grant or revoke superuser status")
        self._ensure_may_touch(current)

    async def before_delete(self, instance: User) -> None:
        self._ensure_may_touch(instance)
        # Through the ORM, one row at a time, so each change is audited (the audited tables
        # have no ON DELETE actions that would change rows behind the hooks' back).
        assert instance.id is not None
        await posts_repository.PostRepository(self.session).delete_by_user(instance.id)
        await tasks_repository.TaskRepository(self.session).unassign_user(instance.id)
        await rbac_repository.RoleRepository(self.session).set_user_roles(instance.id, set())

    async def search(
        self,
        pagination: Pagination,
        sort: list[SortField],
        *,
        q: str | None = None,
        name: str | None = None,
        created_after: datetime | None = None,
    ) -> Page[User]:
        filters: list[ColumnElement[bool]] = []
        if q:
            filters.append(or_(*(ilike_contains(column, q) for column in (User.email, User.name, User.surname))))
        if name:
            filters.append(ilike_contains(User.name, name))
        if created_after is not None:
            filters.append(col(User.created_at) >= created_after)
        return await self.list(pagination, sort, filters)

    async def stats(self) -> UserStats:
        total, recent, active = await self.repository.stats(since=utcnow() - timedelta(days=7))
        return UserStats(total=total, created_last_7_days=recent, active=active)

    def _ensure_may_touch(self, target: User | None) -> None:
        # Changing a superuser's password, state or existence would be a way to become one.
        if target is not None and target.is_superuser and self.actor is not None and not self.actor.is_superuser:
            raise Forbidden("Only a superuser can change or delete a superuser")

    def _may_set_superuser(self, requested: bool, current: User | None) -> bool:
        unchanged = requested == (current.is_superuser if current is not None else False)
        return unchanged or self.actor is None or self.actor.is_superuser

    @staticmethod
    async def _hash_password_field(values: dict[str, Any]) -> dict[str, Any]:
        if values.get("password") is None:
            values.pop("password", None)
            return values
        password = values.pop("password")
        return {**values, "hashed_password": await hash_password(password)}
