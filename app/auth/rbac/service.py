from collections.abc import Sequence
from typing import Any

from app.auth.rbac.catalogue import ACTIONS, all_modules, effective_actions
from app.auth.rbac.models import Role
from app.auth.rbac.repository import RoleRepository
from app.auth.rbac.schemas import RoleRead, RoleSummary, UserWithRoles
from app.core.database import transaction
from app.core.errors import BadRequest, Conflict
from app.core.models import utcnow
from app.core.pagination import Page, Pagination, SortField
from app.core.service import CrudService
from app.modules.users.service import UserService

Grants = dict[str, list[str]]


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
        async with transaction(self.session):
            await self.check_write(values, None)
            role = await self.repository.create(values)
            assert role.id is not None
            await self.repository.replace_grants(role.id, grants)
        return RoleRead.model_validate({**role.model_dump(), "permissions": grants})

    async def update_role(self, id_: int, values: dict[str, Any], expected_version: int | None) -> RoleRead:
        if values.get("permissions") is not None:
            # Grants live in their own rows; touching the role bumps its version all the same.
            values["updated_at"] = utcnow()
        role = await self.update(id_, values, expected_version)
        return await self.get_read(role.id or id_)

    async def after_update(self, instance: Role, values: dict[str, Any]) -> None:
        if values.get("permissions") is not None:
            assert instance.id is not None
            await self.repository.replace_grants(instance.id, normalize_grants(values["permissions"]))

    async def check_write(self, values: dict[str, Any], current: Role | None) -> None:
        name: str | None = values.get("name")
        if name is None or (current is not None and name == current.name):
            return
        if await self.repository.get_by_name(name) is not None:
            raise Conflict(f"A role named {name!r} already exists")

    async def before_delete(self, instance: Role) -> None:
        assert instance.id is not None
        await self.repository.replace_grants(instance.id, {})  # one audited delete per grant
        await self.repository.unlink_role(instance.id)

    async def set_user_roles(self, users: UserService, user_id: int, role_ids: list[int]) -> UserWithRoles:
        wanted = set(role_ids)
        async with transaction(self.session):
            user = await users.get(user_id)
            missing = sorted(wanted - await self.repository.existing_ids(list(wanted)))
            if missing:
                raise BadRequest(f"Unknown role id(s): {', '.join(map(str, missing))}")
            await self.repository.set_user_roles(user_id, wanted)
            roles = await self.repository.roles_of_user(user_id)
        summaries = [RoleSummary(id=role.id or 0, name=role.name) for role in roles]
        return UserWithRoles.model_validate({**user.model_dump(), "roles": summaries})

    async def roles_of_user(self, user_id: int) -> list[RoleSummary]:
        return [RoleSummary(id=r.id or 0, name=r.name) for r in await self.repository.roles_of_user(user_id)]

    async def _with_grants(self, roles: Sequence[Role]) -> list[RoleRead]:
        grants = await self.repository.grants_of([role.id for role in roles if role.id is not None])
        return [
            RoleRead.model_validate({**role.model_dump(), "permissions": grants.get(role.id or 0, {})})
            for role in roles
        ]


def module_catalogue() -> list[dict[str, Any]]:
    return [{"module": module, "actions": list(ACTIONS)} for module in all_modules()]
