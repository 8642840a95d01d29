"""Idempotent seed data: the first superuser (and, with RBAC, the built-in roles)."""

import structlog

from app.core.config import Settings
from app.core.database import create_engine, create_session_factory
from app.modules.users.repository import UserRepository
from app.modules.users.service import UserService

logger = structlog.get_logger(__name__)


async def run_seed(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        async with create_session_factory(engine)() as session:
            await ensure_superuser(UserService(session), settings)
    finally:
        await engine.dispose()


async def ensure_superuser(service: UserService, settings: Settings) -> None:
    email, password = settings.FIRST_SUPERUSER_EMAIL, settings.FIRST_SUPERUSER_PASSWORD
    if not email or not password:
        logger.warning("first_superuser_skipped", reason="FIRST_SUPERUSER_EMAIL or FIRST_SUPERUSER_PASSWORD unset")
        return
    if await UserRepository(service.session).get_by_email(email) is not None:
        return
    await service.create(
        {"email": email.lower(), "name": "Admin", "password": password, "is_superuser": True, "is_active": True}
    )
    logger.info("first_superuser_created", email=email)
