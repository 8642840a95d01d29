"""Every table of the service, imported in one place so SQLModel.metadata knows the whole schema."""

from app.modules.users.models import User

__all__ = ["User"]
