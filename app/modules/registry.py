"""The domain modules the platform serves. A new module is one folder and one line here."""

from fastapi import APIRouter

from app.modules.users.routers import router as users_router

MODULE_ROUTERS: list[APIRouter] = [
    users_router,
]
