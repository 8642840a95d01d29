"""Every table of the service, imported in one place so SQLModel.metadata knows the whole schema."""

from app.audit.models import AccessLog, AuditChange
from app.auth.accounts import User
from app.auth.api_keys.models import ApiKey, ApiKeyUsage
from app.auth.models import AuthSession, RefreshToken, UserRevokedToken
from app.auth.rbac.models import Role, RoleGrant, UserRole
from app.core.generations import CacheGeneration
from app.core.inbox import ProcessedEvent
from app.core.outbox import OutboxEvent
from app.modules.customers.models import Customer
from app.modules.posts.models import Post
from app.modules.products.models import Product
from app.modules.tasks.models import Task

__all__ = [
    "AccessLog",
    "ApiKey",
    "ApiKeyUsage",
    "AuditChange",
    "AuthSession",
    "CacheGeneration",
    "Customer",
    "OutboxEvent",
    "Post",
    "ProcessedEvent",
    "Product",
    "RefreshToken",
    "Role",
    "RoleGrant",
    "Task",
    "User",
    "UserRevokedToken",
    "UserRole",
]
