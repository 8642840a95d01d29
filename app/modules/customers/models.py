from sqlalchemy import Index, Text
from sqlmodel import Field

from app.core.auditable import auditable
from app.core.models import VersionedTable


@auditable()
class Customer(VersionedTable, table=True):
    __tablename__ = "customers"
    __table_args__ = (Index("ix_customers_updated_at", "updated_at"),)

    name: str = Field(max_length=200, index=True)
    # Stored lower-cased, so the unique index makes addresses unique case-insensitively.
    email: str = Field(max_length=255, unique=True, index=True)
    phone: str | None = Field(default=None, max_length=32)
    company: str | None = Field(default=None, max_length=200, index=True)
    notes: str | None = Field(default=None, sa_type=Text)
