"""Every table of the service, imported in one place so SQLModel.metadata knows the whole schema."""

from app.core.inbox import ProcessedEvent
from app.core.outbox import OutboxEvent
from app.modules.users.models import User

__all__ = ["OutboxEvent", "ProcessedEvent", "User"]
