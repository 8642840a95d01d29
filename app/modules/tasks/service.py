from sqlalchemy import or_
from sqlmodel import col

from app.auth import accounts
from app.core.pagination import Page, Pagination, SortField
from app.core.repository import equal_filters, ilike_contains
from app.core.service import CrudService, Reference
from app.modules.customers import repository as customers_repository
from app.modules.registry import OWNED_BY
from app.modules.tasks.models import Task
from app.modules.tasks.repository import TaskRepository
from app.modules.tasks.schemas import TaskFilters


class TaskService(CrudService[Task]):
    repository_class = TaskRepository
    resource_name = "Task"
    repository: TaskRepository
    # A task outlives its assignee and its customer: it is left unassigned, or without a customer.
    references = (
        Reference("assignee_id", accounts.UserRepository, on_delete="set null"),
        Reference("customer_id", customers_repository.CustomerRepository, on_delete="set null"),
    )
    owned_by = OWNED_BY["tasks"]

    async def search(self, pagination: Pagination, sort: list[SortField], filters: TaskFilters) -> Page[Task]:
        equal = ("status", "priority", "assignee_id", "customer_id")
        conditions = equal_filters(Task, {name: getattr(filters, name) for name in equal})
        if filters.q:
            conditions.append(or_(ilike_contains(Task.title, filters.q), ilike_contains(Task.description, filters.q)))
        if filters.due_before is not None:
            conditions.append(col(Task.due_date) < filters.due_before)
        return await self.list(pagination, sort, conditions)
