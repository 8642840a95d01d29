from collections.abc import Sequence

from sqlalchemy import ColumnElement, select
from sqlmodel import col

from app.auth.accounts import User
from app.auth.rbac.models import Role, RoleGrant, UserRole
from app.core.repository import BaseRepository


def holders_of(role_id: int) -> ColumnElement[bool]:
    """A filter on users: those holding the role."""
    return col(User.id).in_(select(col(UserRole.user_id)).where(col(UserRole.role_id) == role_id))


class RoleRepository(BaseRepository[Role]):
    model = Role

    async def get_by_name(self, name: str) -> Role | None:
        result: Role | None = await self.session.scalar(select(Role).where(col(Role.name) == name))
        return result

    async def ids_by_name(self, names: Sequence[str]) -> dict[str, int]:
        found = await self.session.scalars(select(Role).where(col(Role.name).in_(names)))
        return {role.name: role.id for role in found if role.id is not None}

    async def role_ids_of_user(self, user_id: int) -> set[int]:
        return set(await self.session.scalars(select(col(UserRole.role_id)).where(col(UserRole.user_id) == user_id)))

    async def grants_of(self, role_ids: Sequence[int]) -> dict[int, dict[str, list[str]]]:
        statement = select(RoleGrant).where(col(RoleGrant.role_id).in_(role_ids)).order_by(col(RoleGrant.id))
        grants: dict[int, dict[str, list[str]]] = {role_id: {} for role_id in role_ids}
        for grant in await self.session.scalars(statement):
            grants[grant.role_id].setdefault(grant.module, []).append(grant.action)
        return grants

    async def replace_grants(self, role_id: int, grants: dict[str, list[str]]) -> None:
        """Delete and insert through the ORM, one object at a time, so every change is audited."""
        existing = {
            (g.module, g.action): g
            for g in await self.session.scalars(select(RoleGrant).where(col(RoleGrant.role_id) == role_id))
        }
        wanted = {(module, action) for module, actions in grants.items() for action in actions}
        for key, grant in existing.items():
            if key not in wanted:
                await self.session.delete(grant)
        for module, action in sorted(wanted - existing.keys()):
            self.session.add(RoleGrant(role_id=role_id, module=module, action=action))
        await self._flush()

    async def existing_ids(self, role_ids: Sequence[int]) -> set[int]:
        return set(await self.session.scalars(select(col(Role.id)).where(col(Role.id).in_(role_ids))))

    async def permissions_of(self, user_id: int) -> set[str]:
        statement = (
            select(col(RoleGrant.module), col(RoleGrant.action))
            .join(UserRole, col(UserRole.role_id) == RoleGrant.role_id)
            .where(col(UserRole.user_id) == user_id)
            .distinct()
        )
        return {f"{module}:{action}" for module, action in (await self.session.execute(statement)).all()}

    async def roles_of_user(self, user_id: int) -> list[Role]:
        statement = (
            select(Role)
            .join(UserRole, col(UserRole.role_id) == Role.id)
            .where(col(UserRole.user_id) == user_id)
            .order_by(col(Role.id))
        )
        return list(await self.session.scalars(statement))

    async def unlink_role(self, role_id: int) -> None:
        """Take the role from every user holding it, one audited delete per link."""
        for link in await self.session.scalars(select(UserRole).where(col(UserRole.role_id) == role_id)):
            await self.session.delete(link)
        await self._flush()

    async def set_user_roles(self, user_id: int, role_ids: set[int]) -> None:
        current = {
            link.role_id: link
            for link in await self.session.scalars(select(UserRole).where(col(UserRole.user_id) == user_id))
        }
        for role_id, link in current.items():
            if role_id not in role_ids:
                await self.session.delete(link)
        for role_id in sorted(role_ids - current.keys()):
            self.session.add(UserRole(user_id=user_id, role_id=role_id))
        await self._flush()
