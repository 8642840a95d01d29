"""The delegation ceiling: nobody acts on someone, or grants something, more powerful than themselves.

One rule, used wherever power is handed out or an account is taken over: roles (create,
change, delete, assign), user accounts (email, password, active state, delete, roles),
and any credential minted for a user. A superuser caller, or the system (`None`: CLI,
seeds), is not bound by it.
"""

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.accounts import User
from app.auth.rbac.repository import RoleRepository
from app.core.errors import Forbidden
from app.core.ownership import Holder, holds


def grant_permissions(grants: Mapping[str, Sequence[str]]) -> set[str]:
    """`{"posts": ["read", "update:own"]}` -> `{"posts:read", "posts:update:own"}`."""
    return {f"{module}:{action}" for module, actions in grants.items() for action in actions}


def missing_permissions(caller: Holder, permissions: Iterable[str]) -> list[str]:
    """The permissions of `permissions` that `caller` does not hold, sorted."""
    if caller.is_superuser:
        return []
    return sorted({wanted for wanted in permissions if not holds(caller.permissions, wanted)})


def ensure_within_ceiling(caller: Holder | None, permissions: Iterable[str]) -> None:
    """The ceiling check: 403 naming what is missing unless `caller` holds every one of `permissions`."""
    if caller is None:
        return
    missing = missing_permissions(caller, permissions)
    if missing:
        raise Forbidden(f"missing {', '.join(missing)}")


async def ensure_may_manage_user(session: AsyncSession, caller: Holder | None, target: User) -> None:
    """403 unless `caller` may take over `target`'s account: change its email, password, active
    state or roles, delete it, or mint it a credential. A superuser target needs a superuser."""
    if caller is None or caller.is_superuser:
        return
    if target.is_superuser:
        raise Forbidden("Only a superuser can change or delete a superuser")
    assert target.id is not None
    ensure_within_ceiling(caller, await RoleRepository(session).permissions_of(target.id))
