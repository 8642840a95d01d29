from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response, status
from sqlalchemy import Row

from app.auth.dependencies import Principal, require, service_for
from app.core.http import IfMatch, IfNoneMatch, current_or_not_modified, location, with_etag
from app.core.list_cache import CachedList, cached_list
from app.core.pagination import ListQuery, SortedListQuery, sort_field
from app.core.routing import PrefixedRouter
from app.core.schemas import Id
from app.modules.posts.models import Post
from app.modules.posts.schemas import PostCount, PostCreate, PostFilters, PostRead, PostReplace, PostUpdate
from app.modules.posts.service import PostService

router = PrefixedRouter(prefix="/posts", tags=["posts"])

ListCache = Annotated[CachedList, Depends(cached_list(Post))]
Service = Annotated[PostService, Depends(service_for(PostService))]


class PostQuery(PostFilters, SortedListQuery):
    sortable = ("id", "title", "user_id", "created_at", "updated_at")
    sort: str = sort_field(sortable)


@router.get("", response_model=list[PostRead])
async def list_posts(
    query: Annotated[PostQuery, Query()], principal: Annotated[Principal, require("posts", "read")], cache: ListCache
) -> object:
    """List posts, optionally one user's."""
    return await cache.respond(
        query, lambda session: PostService(session, principal).search(query.pagination, query.order, query)
    )


@router.get("/stats", response_model=list[PostCount])
async def post_stats(
    query: Annotated[ListQuery, Query()], principal: Annotated[Principal, require("posts", "read")], cache: ListCache
) -> object:
    """Posts per user, most first (users without posts are not listed)."""
    return await cache.respond(query, lambda session: PostService(session, principal).stats(query.pagination))


@router.post(
    "", response_model=PostRead, status_code=status.HTTP_201_CREATED, dependencies=[require("posts", "create")]
)
async def create_post(body: PostCreate, service: Service, response: Response, request: Request) -> Post:
    """Create a post; its author is the caller unless `user_id` says otherwise."""
    post = await service.create(body.model_dump())
    response.headers["Location"] = location(request, post.id)
    with_etag(response, post)
    return post


@router.get("/{post_id}", response_model=PostRead, dependencies=[require("posts", "read")])
async def get_post(
    post_id: Id, service: Service, response: Response, if_none_match: IfNoneMatch = None
) -> Row[Any] | Response:
    """Get one post (304 when `If-None-Match` holds its current ETag)."""
    return current_or_not_modified(await service.read(post_id), response, if_none_match)


@router.put("/{post_id}", response_model=PostRead, dependencies=[require("posts", "update")])
async def replace_post(post_id: Id, body: PostReplace, service: Service, if_match: IfMatch, response: Response) -> Post:
    """Replace a post's writable fields."""
    post = await service.update(post_id, body.model_dump(), if_match)
    with_etag(response, post)
    return post


@router.patch("/{post_id}", response_model=PostRead, dependencies=[require("posts", "update")])
async def update_post(post_id: Id, body: PostUpdate, service: Service, if_match: IfMatch, response: Response) -> Post:
    """Change the given fields of a post."""
    post = await service.update(post_id, body.changes(), if_match)
    with_etag(response, post)
    return post


@router.delete(
    "/{post_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,  # no body, so no content-type
    dependencies=[require("posts", "delete")],
)
async def delete_post(post_id: Id, service: Service, if_match: IfMatch) -> None:
    """Delete a post."""
    await service.delete(post_id, if_match)
