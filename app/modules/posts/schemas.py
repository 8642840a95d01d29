from typing import Annotated

from pydantic import BaseModel, Field

from app.core.schemas import Id, PatchSchema, RequestSchema, ResourceRead

Title = Annotated[str, Field(min_length=1, max_length=200)]
Content = Annotated[str, Field(min_length=1, max_length=20_000)]


class PostCreate(RequestSchema):
    """POST: `user_id` left out means the caller."""

    title: Title
    content: Content
    user_id: Id | None = None


class PostReplace(PostCreate):
    """PUT: the fields of a create; `user_id` left out means the caller again."""


class PostUpdate(PatchSchema):
    title: Title | None = None
    content: Content | None = None
    user_id: Id | None = None


class PostRead(ResourceRead):
    title: str
    content: str
    user_id: int


class PostFilters(BaseModel):
    q: str | None = Field(default=None, max_length=200, description="Part of the title or content, any case")
    user_id: Id | None = Field(default=None, description="Only this user's posts")


class PostCount(BaseModel):
    user_id: int
    post_count: int
