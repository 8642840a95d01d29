from typing import Any

from sqlalchemy import case

from app.core.repository import BaseRepository
from app.modules.tasks.models import Task, TaskPriority, TaskStatus

# Sorted in workflow and urgency order (todo < in_progress < done, low < medium < high), not alphabetically.
_RANKED: dict[str, list[str]] = {"status": list(TaskStatus), "priority": list(TaskPriority)}


class TaskRepository(BaseRepository[Task]):
    model = Task

    def sort_column(self, name: str) -> Any:
        if name in _RANKED:
            return case({value: rank for rank, value in enumerate(_RANKED[name])}, value=getattr(Task, name))
        return super().sort_column(name)
