"""Who is calling, and may they: the dependencies every protected route declares."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import structlog
from fastapi import Depends, Security
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.rbac.catalogue import ACTIONS, permission
from app.auth.repository import AuthRepository
from app.auth.tokens import TokenClaims, decode_token
from app.core.context import actor_id_var
from app.core.deps import SessionDep, SettingsDep
from app.core.errors import Forbidden, Unauthorized
from app.core.service import CrudService
from app.modules.users.models import User

bearer_scheme = OAuth2PasswordBearer(tokenUrl="auth/login", auto_error=False)
ServiceT = TypeVar("ServiceT", bound=CrudService[Any])


@dataclass(slots=True)
class Principal:
    """The authenticated caller of this request.

    `id` and `is_superuser` are copied out of the ORM row: a rolled-back transaction
    expires the row, and reading it again would need I/O at a place that cannot await.
    """

    user: User
    claims: TokenClaims
    id: int
    is_superuser: bool
    permissions: set[str] = field(default_factory=set)

    def can(self, module: str, action: str) -> bool:
        return self.is_superuser or permission(module, action) in self.permissions


async def get_principal(
    token: Annotated[str | None, Depends(bearer_scheme)], session: SessionDep, settings: SettingsDep
) -> Principal:
    """Valid access token, live session, not revoked, user exists and is active; else 401."""
    if not token:
        raise Unauthorized()
    claims = decode_token(settings, token, "access")
    repository = AuthRepository(session)
    row = await repository.load_principal_row(claims)
    if row is None:
        raise Unauthorized("Invalid or expired token")
    user, session_revoked_at, session_exists, token_revoked = row
    if not session_exists or session_revoked_at is not None or token_revoked or not user.is_active:
        raise Unauthorized("Invalid or expired token")
    permissions = set() if user.is_superuser else await repository.permissions_of(claims.user_id)
    actor_id_var.set(user.id)
    structlog.contextvars.bind_contextvars(user_id=user.id)
    assert user.id is not None
    return Principal(user, claims, user.id, user.is_superuser, permissions)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


class PermissionChecker:
    """`Depends(PermissionChecker("products", "create"))`: 401 without a token, 403 without the grant."""

    def __init__(self, module: str, action: str) -> None:
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        self.module = module
        self.action = action

    async def __call__(self, principal: CurrentPrincipal) -> Principal:
        if not principal.can(self.module, self.action):
            raise Forbidden(f"Missing permission {permission(self.module, self.action)}")
        return principal

    def __repr__(self) -> str:
        return f"PermissionChecker({self.module!r}, {self.action!r})"


def require(module: str, action: str) -> Any:
    """The route-level permission: `dependencies=[require("products", "update")]`.

    Declared as an OAuth2 scope, so the OpenAPI schema shows each operation's permission.
    """
    return Security(PermissionChecker(module, action), scopes=[permission(module, action)])


def service_for(service_class: type[ServiceT]) -> Callable[[AsyncSession, Principal], Awaitable[ServiceT]]:
    """A dependency building `service_class` for this request's session and caller."""

    async def build(session: SessionDep, principal: CurrentPrincipal) -> ServiceT:
        return service_class(session, principal)

    return build
