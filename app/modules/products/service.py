from sqlalchemy import ColumnElement, or_
from sqlmodel import col

from app.core.pagination import Page, Pagination, SortField
from app.core.repository import ilike_contains
from app.core.service import CrudService
from app.modules.products.models import Product
from app.modules.products.repository import ProductRepository
from app.modules.products.schemas import ProductFilters


class ProductService(CrudService[Product]):
    repository_class = ProductRepository
    resource_name = "Product"
    repository: ProductRepository
    unique_fields = ("sku",)

    async def search(self, pagination: Pagination, sort: list[SortField], filters: ProductFilters) -> Page[Product]:
        conditions: list[ColumnElement[bool]] = []
        if filters.q:
            conditions.append(or_(ilike_contains(Product.name, filters.q), ilike_contains(Product.sku, filters.q)))
        if filters.min_price is not None:
            conditions.append(col(Product.price) >= filters.min_price)
        if filters.max_price is not None:
            conditions.append(col(Product.price) <= filters.max_price)
        if filters.is_active is not None:
            conditions.append(col(Product.is_active).is_(filters.is_active))
        return await self.list(pagination, sort, conditions)
