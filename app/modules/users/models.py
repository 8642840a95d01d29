from sqlmodel import Field

from app.core.auditable import auditable
from app.core.models import VersionedTable


@auditable(secrets={"hashed_password"})
class User(VersionedTable, table=True):
    __tablename__ = "users"

    # Stored lower-cased, so the unique index makes addresses unique case-insensitively.
    email: str = Field(max_length=255, unique=True, index=True)
    name: str = Field(max_length=100, index=True)
    surname: str | None = Field(default=None, max_length=100)
    hashed_password: str | None = Field(default=None, max_length=255, repr=False)
    is_active: bool = Field(default=True, index=True)
    is_superuser: bool = Field(default=False)
