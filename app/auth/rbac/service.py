from collections.abc import Sequence
from typing import Any

from app.auth.accounts import AccountService, User
from app.auth.rbac.catalogue import ACTIONS, all_modules, effective_actions, scopes
from app.auth.rbac.ceiling import ensure_may_manage_user, ensure_within_ceiling, grant_permissions
from app.auth.rbac.models import Role
from app.auth.rbac.repository import RoleRepository, holders_of
from app.auth.rbac.schemas import AssignedRole, RoleRead, RoleSummary, UserWithRoles
from app.core.database import transaction
from app.core.errors import BadRequest, Conflict, Forbidden
from app.core.models import utcnow
from app.core.pagination import Page, Pagination, SortField
from app.core.service import CrudService

Grants = dict[str, list[str]]
OWN_ROLES = "A user cannot change their own roles"


def normalize_grants(grants: Grants) -> Grants:
    return {module: effective_actions(actions) for module, actions in sorted(grants.items())}


class RoleService(CrudService[Role]):
    repository_class = RoleRepository
    resource_name = "Role"
    repository: RoleRepository

    async def get_read(self, id_: int) -> RoleRead:
        return (await self._with_grants([await self.get(id_)]))[0]

    async def list_read(self, pagination: Pagination, sort: Sequence[SortField]) -> Page[RoleRead]:
        page = await self.list(pagination, sort)
        return Page(await self._with_grants(page.items), page.total)

    async def create_role(self, values: dict[str, Any]) -> RoleRead:
        grants = normalize_grants(values.pop("permissions", {}))
        ensure_within_ceiling(self.actor, grant_permissions(grants))
        async with transaction(self.session):
            await self.check_write(values, None)
            role = await self.repository.create(values)
            assert role.id is not None
            await self.repository.replace_grants(role.id, grants)
        return RoleRead.model_validate({**role.model_dump(), "permissions": grants})

    async def update_role(self, id_: int, values: dict[str, Any], expected_version: int | None) -> RoleRead:
        if values.get("permissions") is not None:
            values["permissions"] = normalize_grants(values["permissions"])
            ensure_within_ceiling(self.actor, grant_permissions(values["permissions"]))
            # Grants live in their own rows; touching the role bumps its version all the same.
            values["updated_at"] = utcnow()
        role = await self.update(id_, values, expected_version)
        return await self.get_read(role.id or id_)

    async def after_update(self, instance: Role, values: dict[str, Any]) -> None:
        if values.get("permissions") is not None:
            assert instance.id is not None
            await self.repository.replace_grants(instance.id, values["permissions"])

    async def check_write(self, values: dict[str, Any], current: Role | None) -> None:
        if current is not None:
            await self._ensure_role_within_ceiling(current)
        name: str | None = values.get("name")
        if name is None or (current is not None and name == current.name):
            return
        if await self.repository.get_by_name(name) is not None:
            raise Conflict(f"A role named {name!r} already exists")

    async def before_delete(self, instance: Role) -> None:
        await self._ensure_role_within_ceiling(instance)
        assert instance.id is not None
        await self.repository.replace_grants(instance.id, {})  # one audited delete per grant
        await self.repository.unlink_role(instance.id)

    async def set_user_roles(
        self, users: AccountService, user_id: int, role_ids: list[int] | None = None, names: list[str] | None = None
    ) -> UserWithRoles:
        if self.actor is not None and self.actor.id == user_id and not self.actor.is_superuser:
            raise Forbidden(OWN_ROLES)
        async with transaction(self.session):
            user = await users.get(user_id)
            wanted = await self._resolve(role_ids or [], names or [])
            await ensure_may_manage_user(self.session, self.actor, user)
            changed = wanted ^ await self.repository.role_ids_of_user(user_id)
            grants = await self.repository.grants_of(sorted(changed))
            ensure_within_ceiling(self.actor, set().union(*map(grant_permissions, grants.values())))
            await self.repository.set_user_roles(user_id, wanted)
            roles = await self.repository.roles_of_user(user_id)
        summaries = [RoleSummary(id=role.id or 0, name=role.name) for role in roles]
        return UserWithRoles.model_validate({**user.model_dump(), "roles": summaries})

    async def roles_of_user(self, user_id: int) -> list[RoleSummary]:
        return [RoleSummary(id=r.id or 0, name=r.name) for r in await self.repository.roles_of_user(user_id)]

    async def assigned_roles(self, users: AccountService, user_id: int) -> list[AssignedRole]:
        """The roles a user holds, with what each grants."""
        await users.get(user_id)
        roles = await self._with_grants(await self.repository.roles_of_user(user_id))
        return [AssignedRole.model_validate(role.model_dump()) for role in roles]

    async def holders(
        self, users: AccountService, role_id: int, pagination: Pagination, sort: Sequence[SortField]
    ) -> Page[User]:
        """The users holding a role."""
        await self.get(role_id)
        return await users.list(pagination, sort, [holders_of(role_id)])

    async def _resolve(self, role_ids: list[int], names: list[str]) -> set[int]:
        """The ids of the roles named by id or by name; an unknown one is a 400."""
        found = await self.repository.ids_by_name(names) if names else {}
        unknown_names = sorted(set(names) - found.keys())
        if unknown_names:
            raise BadRequest(f"Unknown role(s): {', '.join(unknown_names)}")
        missing = sorted(set(role_ids) - await self.repository.existing_ids(role_ids))
        if missing:
            raise BadRequest(f"Unknown role id(s): {', '.join(map(str, missing))}")
        return {*role_ids, *found.values()}

    async def _ensure_role_within_ceiling(self, role: Role) -> None:
        if self.actor is None or self.actor.is_superuser:
            return
        assert role.id is not None
        grants = await self.repository.grants_of([role.id])
        ensure_within_ceiling(self.actor, grant_permissions(grants[role.id]))

    async def _with_grants(self, roles: Sequence[Role]) -> list[RoleRead]:
        grants = await self.repository.grants_of([role.id for role in roles if role.id is not None])
        return [
            RoleRead.model_validate({**role.model_dump(), "permissions": grants.get(role.id or 0, {})})
            for role in roles
        ]


def module_catalogue() -> list[dict[str, Any]]:
    return [{"module": module, "actions": list(ACTIONS), "scopes": scopes(module)} for module in all_modules()]
