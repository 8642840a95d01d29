"""The domain modules the platform serves. A new module is one folder and one line here."""

from fastapi import APIRouter

from app.modules.customers.routers import router as customers_router
from app.modules.posts.routers import router as posts_router
from app.modules.products.routers import router as products_router
from app.modules.tasks.routers import router as tasks_router
from app.modules.users.routers import router as users_router

# Module name (also its RBAC permission module) -> its router.
DOMAIN_MODULES: dict[str, APIRouter] = {
    "users": users_router,
    "posts": posts_router,
    "products": products_router,
    "tasks": tasks_router,
    "customers": customers_router,
}
