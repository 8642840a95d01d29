from sqlalchemy import func, select
from sqlmodel import col

from app.core.pagination import Page, whole_result
from app.core.repository import BaseRepository
from app.modules.posts.models import Post


class PostRepository(BaseRepository[Post]):
    model = Post

    async def count_by_user(self, *, skip: int, limit: int) -> Page[tuple[int, int]]:
        """(user_id, post count) pairs, most posts first, counted by the database."""
        post_count = func.count(col(Post.id))
        statement = (
            select(col(Post.user_id), post_count)
            .group_by(col(Post.user_id))
            .order_by(post_count.desc(), col(Post.user_id))
            .offset(skip)
            .limit(limit)
        )
        rows = [(user_id, count) for user_id, count in await self.session.execute(statement)]
        if (page := whole_result(rows, skip, limit)) is not None:
            return page
        total = await self.session.scalar(select(func.count(func.distinct(col(Post.user_id)))))
        return Page(rows, int(total or 0))
