from sqlalchemy import ColumnElement, or_

from app.core.pagination import Page, Pagination, SortField
from app.core.repository import ilike_contains
from app.core.service import CrudService
from app.modules.customers.models import Customer
from app.modules.customers.repository import CustomerRepository
from app.modules.customers.schemas import CustomerFilters


class CustomerService(CrudService[Customer]):
    repository_class = CustomerRepository
    resource_name = "Customer"
    repository: CustomerRepository
    unique_fields = ("email",)

    async def search(self, pagination: Pagination, sort: list[SortField], filters: CustomerFilters) -> Page[Customer]:
        conditions: list[ColumnElement[bool]] = []
        if filters.q:
            conditions.append(or_(ilike_contains(Customer.name, filters.q), ilike_contains(Customer.email, filters.q)))
        if filters.company:
            conditions.append(ilike_contains(Customer.company, filters.company))
        return await self.list(pagination, sort, conditions)
