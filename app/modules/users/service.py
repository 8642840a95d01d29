from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlmodel import col

from app.auth.api_keys.repository import ApiKeyRepository
from app.auth.passwords import hash_password
from app.auth.rbac import repository as rbac_repository
from app.auth.rbac.ceiling import ensure_may_manage_user
from app.auth.repository import AuthRepository
from app.core.errors import Conflict, Forbidden
from app.core.models import utcnow
from app.core.pagination import Page, Pagination, SortField
from app.core.repository import ilike_contains
from app.core.service import CrudService
from app.modules.users.models import User
from app.modules.users.repository import UserRepository
from app.modules.users.schemas import UserStats

# Changing one of these on another user's account is taking it over: the delegation ceiling applies.
ACCOUNT_FIELDS = ("email", "hashed_password", "is_active")
OWN_PASSWORD = "Change your own password with POST /auth/change-password (it asks for the current one)"
LAST_SUPERUSER = "The last active superuser cannot be deleted, deactivated or demoted"


class UserService(CrudService[User]):
    repository_class = UserRepository
    resource_name = "User"
    repository: UserRepository
    unique_fields = ("email",)
    # Set by the write that takes an active superuser away; checked once that write is flushed.
    _removes_superuser = False

    async def create(self, values: dict[str, Any]) -> User:
        return await super().create(await self._hash_password_field(values))

    async def update(self, id_: int, values: dict[str, Any], expected_version: int | None = None) -> User:
        return await super().update(id_, await self._hash_password_field(values), expected_version)

    async def after_update(self, instance: User, values: dict[str, Any]) -> None:
        # A password set by an admin, or a deactivation, ends that user's sessions: a later
        # reactivation does not bring the old tokens back.
        if "hashed_password" in values or values.get("is_active") is False:
            assert instance.id is not None
            await AuthRepository(self.session).revoke_sessions(instance.id)
        await self._ensure_a_superuser_remains()

    async def check_write(self, values: dict[str, Any], current: User | None) -> None:
        if "is_superuser" in values and not self._may_set_superuser(values["is_superuser"], current):
            raise Forbidden("Only a superuser can grant or revoke superuser status")
        self._ensure_may_touch(current)
        if current is None:
            return
        if self.actor is not None and self.actor.id == current.id and "hashed_password" in values:
            raise Forbidden(OWN_PASSWORD)
        changed = [field for field in ACCOUNT_FIELDS if field in values and values[field] != getattr(current, field)]
        if changed and self.actor is not None and self.actor.id != current.id:
            await ensure_may_manage_user(self.session, self.actor, current)
        leaving = values.get("is_active") is False or values.get("is_superuser") is False
        await self._guard_superusers(current, leaving)

    async def before_delete(self, instance: User) -> None:
        self._ensure_may_touch(instance)
        if self.actor is not None and self.actor.id != instance.id:
            await ensure_may_manage_user(self.session, self.actor, instance)
        await self._guard_superusers(instance, leaving=True)
        # Through the ORM, one row at a time, so each change is audited (the audited tables
        # have no ON DELETE actions that would change rows behind the hooks' back). Posts and
        # tasks follow their references' on_delete (CrudService).
        assert instance.id is not None
        await rbac_repository.RoleRepository(self.session).set_user_roles(instance.id, set())
        await ApiKeyRepository(self.session).delete_of_user(instance.id)

    async def after_delete(self, instance: User) -> None:  # noqa: ARG002 - the hook's signature
        await self._ensure_a_superuser_remains()

    async def _guard_superusers(self, target: User, leaving: bool) -> None:
        """Before a write that may take an active superuser away: lock the superusers' rows.

        On PostgreSQL a concurrent such write waits here until this one commits, and then
        sees it; SQLite has a single writer. The count is taken after the write is flushed
        (`_ensure_a_superuser_remains`), so it sees every committed change and this one.
        """
        self._removes_superuser = leaving and target.is_superuser and target.is_active
        if self._removes_superuser:
            await self.repository.lock_active_superusers()

    async def _ensure_a_superuser_remains(self) -> None:
        if self._removes_superuser and await self.repository.count_active_superusers() == 0:
            raise Conflict(LAST_SUPERUSER)

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
