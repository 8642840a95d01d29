from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response, status
from sqlalchemy import Row

from app.auth.accounts import User, UserRead, UserSortedQuery
from app.auth.dependencies import Principal, require, service_for
from app.core.http import IfMatch, IfNoneMatch, current_or_not_modified, location, with_etag
from app.core.list_cache import CachedList, cached_list
from app.core.openapi import error_responses
from app.core.routing import PrefixedRouter
from app.core.schemas import Id
from app.modules.users.schemas import UserCreate, UserFilters, UserReplace, UserSearchFilters, UserStats, UserUpdate
from app.modules.users.service import UserService

router = PrefixedRouter(prefix="/users", tags=["users"])
WRITE_ERRORS = error_responses(409)  # besides those every write can give: the email is taken

ListCache = Annotated[CachedList, Depends(cached_list(User))]
Service = Annotated[UserService, Depends(service_for(UserService))]


class UserQuery(UserFilters, UserSortedQuery):
    pass


class UserSearchQuery(UserSearchFilters, UserSortedQuery):
    pass


@router.get("", response_model=list[UserRead])
async def list_users(
    query: Annotated[UserQuery, Query()], principal: Annotated[Principal, require("users", "read")], cache: ListCache
) -> object:
    """List users, filtered by text."""
    return await cache.respond(
        query, lambda session: UserService(session, principal).search(query.pagination, query.order, q=query.q)
    )


@router.get("/search", response_model=list[UserRead])
async def search_users(
    query: Annotated[UserSearchQuery, Query()],
    principal: Annotated[Principal, require("users", "read")],
    cache: ListCache,
) -> object:
    """Search users by text, name and creation time."""
    return await cache.respond(
        query,
        lambda session: UserService(session, principal).search(
            query.pagination, query.order, q=query.q, name=query.name, created_after=query.created_after
        ),
    )


@router.get("/stats", response_model=UserStats, dependencies=[require("users", "read")])
async def user_stats(service: Service) -> UserStats:
    """Counts of all, recently created and active users."""
    return await service.stats()


@router.post(
    "",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[require("users", "create")],
    responses=WRITE_ERRORS,
)
async def create_user(body: UserCreate, service: Service, request: Request, response: Response) -> User:
    """Create a user."""
    user = await service.create(body.model_dump())
    response.headers["Location"] = location(request, user.id)
    with_etag(response, user)
    return user


@router.get("/{user_id}", response_model=UserRead, dependencies=[require("users", "read")])
async def get_user(
    user_id: Id, service: Service, response: Response, if_none_match: IfNoneMatch = None
) -> Row[Any] | Response:
    """Get one user (304 when `If-None-Match` holds its current ETag)."""
    return current_or_not_modified(await service.read(user_id), response, if_none_match)


@router.put("/{user_id}", response_model=UserRead, dependencies=[require("users", "update")], responses=WRITE_ERRORS)
async def replace_user(user_id: Id, body: UserReplace, service: Service, if_match: IfMatch, response: Response) -> User:
    """Replace a user's writable fields (the password is kept)."""
    user = await service.update(user_id, body.model_dump(), if_match)
    with_etag(response, user)
    return user


@router.patch("/{user_id}", response_model=UserRead, dependencies=[require("users", "update")], responses=WRITE_ERRORS)
async def update_user(user_id: Id, body: UserUpdate, service: Service, if_match: IfMatch, response: Response) -> User:
    """Change the given fields of a user."""
    user = await service.update(user_id, body.changes(), if_match)
    with_etag(response, user)
    return user


@router.delete(
    "/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,  # no body, so no content-type
    dependencies=[require("users", "delete")],
)
async def delete_user(user_id: Id, service: Service, if_match: IfMatch) -> None:
    """Delete a user, its posts, and its task assignments."""
    await service.delete(user_id, if_match)
