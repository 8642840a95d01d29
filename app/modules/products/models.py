from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, Numeric, Text
from sqlmodel import Field

from app.core.auditable import auditable
from app.core.models import VersionedTable


@auditable()
class Product(VersionedTable, table=True):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        Index("ix_products_updated_at", "updated_at"),
    )

    sku: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200, index=True)
    description: str | None = Field(default=None, sa_type=Text)
    # Exact decimal on every back end; never a float on the way in or out.
    price: Decimal = Field(sa_type=Numeric(12, 2), index=True)
    stock: int = Field(default=0, index=True)
    is_active: bool = Field(default=True, index=True)
