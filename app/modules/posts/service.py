from typing import Any

from sqlalchemy import or_

from app.auth import accounts
from app.core.errors import BadRequest
from app.core.pagination import Page, Pagination, SortField
from app.core.repository import equal_filters, ilike_contains
from app.core.service import CrudService, Reference
from app.modules.posts.models import Post
from app.modules.posts.repository import PostRepository
from app.modules.posts.schemas import PostCount, PostFilters
from app.modules.registry import OWNED_BY


class PostService(CrudService[Post]):
    repository_class = PostRepository
    resource_name = "Post"
    repository: PostRepository
    # A user's posts go with the user.
    references = (Reference("user_id", accounts.UserRepository, on_delete="cascade"),)
    owned_by = OWNED_BY["posts"]

    async def create(self, values: dict[str, Any]) -> Post:
        if values.get("user_id") is None:
            values = {**values, "user_id": self._caller_id()}
        return await super().create(values)

    async def update(self, id_: int, values: dict[str, Any], expected_version: int | None = None) -> Post:
        if "user_id" in values and values["user_id"] is None:  # PUT without an author: the caller, as on create
            values = {**values, "user_id": self._caller_id()}
        return await super().update(id_, values, expected_version)

    async def search(self, pagination: Pagination, sort: list[SortField], filters: PostFilters) -> Page[Post]:
        conditions = equal_filters(Post, {"user_id": filters.user_id})
        if filters.q:
            conditions.append(or_(ilike_contains(Post.title, filters.q), ilike_contains(Post.content, filters.q)))
        return await self.list(pagination, sort, conditions)

    async def stats(self, pagination: Pagination) -> Page[PostCount]:
        page = await self.repository.count_by_user(skip=pagination.skip, limit=pagination.limit)
        return Page([PostCount(user_id=user_id, post_count=count) for user_id, count in page.items], page.total)

    def _caller_id(self) -> int:
        caller_id = self.actor.id if self.actor is not None else None
        if caller_id is None:
            raise BadRequest("user_id is required when no user is calling")
        return caller_id
