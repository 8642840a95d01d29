"""The domain modules the platform serves. A new module is one folder and one line here."""

from fastapi import APIRouter

from app.modules.users.routers import router as users_router

# Module name (also its RBAC permission module) -> its router.
DOMAIN_MODULES: dict[str, APIRouter] = {
    "users": users_router,
}
