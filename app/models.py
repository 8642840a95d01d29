"""Every table of the service, imported in one place so SQLModel.metadata knows the whole schema."""

from app.audit.models import AccessLog, AuditChange
from app.modules.users.models import User

__all__ = ["AccessLog", "AuditChange", "User"]
