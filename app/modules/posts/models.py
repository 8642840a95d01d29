from sqlalchemy import Index, Text
from sqlmodel import Field

from app.core.auditable import auditable
from app.core.models import VersionedTable


@auditable()
class Post(VersionedTable, table=True):
    __tablename__ = "posts"
    __table_args__ = (Index("ix_posts_updated_at", "updated_at"),)

    title: str = Field(max_length=200, index=True)
    content: str = Field(sa_type=Text)
    # No ON DELETE CASCADE: the users service deletes a user's posts one by one, so each is audited.
    user_id: int = Field(foreign_key="users.id", index=True)
