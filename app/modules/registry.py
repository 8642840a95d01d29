"""The domain modules the platform serves. A new module is one folder and one line here.

Each module's router also gets the history routes (history, versions, revert, restore),
built on its service: see app.audit.history_routes.
"""

from typing import Any

from fastapi import APIRouter

from app.audit.history_routes import with_record_history
from app.core.service import CrudService
from app.modules.customers.routers import router as customers_router
from app.modules.customers.service import CustomerService
from app.modules.posts.routers import router as posts_router
from app.modules.posts.service import PostService
from app.modules.products.routers import router as products_router
from app.modules.products.service import ProductService
from app.modules.tasks.routers import router as tasks_router
from app.modules.tasks.service import TaskService
from app.modules.users.routers import router as users_router
from app.modules.users.service import UserService

# Module name (also its RBAC permission module) -> its router and the service behind it.
_MODULES: dict[str, tuple[APIRouter, type[CrudService[Any]]]] = {
    "users": (users_router, UserService),
    "posts": (posts_router, PostService),
    "products": (products_router, ProductService),
    "tasks": (tasks_router, TaskService),
    "customers": (customers_router, CustomerService),
}
# Module name (also its RBAC permission module) -> its router, history routes included.
DOMAIN_MODULES: dict[str, APIRouter] = {
    name: with_record_history(name, router, service) for name, (router, service) in _MODULES.items()
}
