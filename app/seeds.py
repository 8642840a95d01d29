"""Idempotent seed data: the built-in roles and the first superuser."""

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.rbac.catalogue import ACTIONS
from app.auth.rbac.repository import RoleRepository
from app.auth.rbac.service import RoleService
from app.core.config import Settings
from app.core.locks import held
from app.main import standalone_sessions
from app.modules.registry import DOMAIN_MODULES
from app.modules.users.repository import UserRepository
from app.modules.users.schemas import UserCreate
from app.modules.users.service import UserService

logger = structlog.get_logger(__name__)


def builtin_roles() -> dict[str, tuple[str, dict[str, list[str]]]]:
    domain = list(DOMAIN_MODULES)
    everything = {module: list(ACTIONS) for module in (*domain, "roles", "audit")}
    return {
        "admin": ("Every action on every module", everything),
        "manager": (
            "Every action on domain modules, read on audit",
            {**{m: list(ACTIONS) for m in domain}, "audit": []},
        ),
        "viewer": ("Read on domain modules", {module: [] for module in domain}),
    }


async def run_seed(settings: Settings) -> list[str]:
    """Seed what is missing; what was created, one line each (nothing: an empty list).

    Processes that seed at once (replicas on start) take turns, so each finds the others' rows.
    """
    async with held(settings, "seed"), standalone_sessions(settings) as sessions, sessions() as session:
        return [*await ensure_roles(session), *await ensure_superuser(session, settings)]


async def ensure_roles(session: AsyncSession) -> list[str]:
    """Create missing built-in roles; roles an admin has since edited are left as they are."""
    service, repository = RoleService(session), RoleRepository(session)
    created = []
    for name, (description, grants) in builtin_roles().items():
        if await repository.get_by_name(name) is None:
            await service.create_role({"name": name, "description": description, "permissions": grants})
            logger.info("role_created", role=name)
            created.append(f"role {name}")
    return created


async def ensure_superuser(session: AsyncSession, settings: Settings) -> list[str]:
    email, password = settings.FIRST_SUPERUSER_EMAIL, settings.FIRST_SUPERUSER_PASSWORD
    if not email or not password:
        logger.warning("first_superuser_skipped", reason="FIRST_SUPERUSER_EMAIL or FIRST_SUPERUSER_PASSWORD unset")
        return []
    if await UserRepository(session).get_by_email(email) is not None:
        return []
    await create_superuser(session, email, password)
    logger.info("first_superuser_created", email=email)
    return [f"superuser {email.lower()}"]


async def create_superuser(session: AsyncSession, email: str, password: str, name: str = "Admin") -> None:
    """Validated as `POST /users` validates (a pydantic ValidationError otherwise): an account that can log in."""
    fields = {"email": email, "name": name, "password": password, "is_superuser": True, "is_active": True}
    await UserService(session).create(UserCreate.model_validate(fields).model_dump())
