from typing import Annotated

from pydantic import BaseModel, Field

from app.core.schemas import Money, PatchSchema, RequestSchema, ResourceRead

Sku = Annotated[str, Field(min_length=1, max_length=64)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=5_000)]
Price = Annotated[Money, Field(ge=0)]
Stock = Annotated[int, Field(ge=0, le=2**31 - 1)]  # the range of an INTEGER column


class ProductCreate(RequestSchema):
    """POST: optional fields left out take their defaults."""

    sku: Sku
    name: Name
    description: Description | None = None
    price: Price
    stock: Stock = 0
    is_active: bool = True


class ProductReplace(ProductCreate):
    """PUT: the fields of a create; optional ones left out go back to their defaults."""


class ProductUpdate(PatchSchema):
    nullable_fields = frozenset({"description"})

    sku: Sku | None = None
    name: Name | None = None
    description: Description | None = None
    price: Price | None = None
    stock: Stock | None = None
    is_active: bool | None = None


class ProductRead(ResourceRead):
    sku: str
    name: str
    description: str | None
    price: Money
    stock: int
    is_active: bool


class ProductFilters(BaseModel):
    q: str | None = Field(default=None, max_length=200, description="Part of the name or SKU, any case")
    min_price: Price | None = Field(default=None, description="Lowest price, inclusive")
    max_price: Price | None = Field(default=None, description="Highest price, inclusive")
    is_active: bool | None = None
