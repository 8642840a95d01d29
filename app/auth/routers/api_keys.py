"""API keys: `/auth/api-keys` for the signed-in user's own, `/users/{id}/api-keys` for admins.

None of these routes takes an API key as the caller (403): a key cannot mint or revoke keys.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from app.auth.api_keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from app.auth.api_keys.service import ApiKeyService
from app.auth.dependencies import SignedInPrincipal, require
from app.core.deps import SessionDep
from app.core.http import location
from app.core.openapi import error_responses
from app.core.pagination import Paged, SortedListQuery, sort_field
from app.core.schemas import Id

router = APIRouter(tags=["auth"])
KEY_REFUSED = error_responses(403)  # a caller presenting an API key, or above its owner's permissions


async def get_api_key_service(session: SessionDep) -> ApiKeyService:
    return ApiKeyService(session)


Service = Annotated[ApiKeyService, Depends(get_api_key_service)]


class ApiKeyQuery(SortedListQuery):
    sortable = ("id", "name", "created_at", "expires_at")
    sort: str = sort_field(sortable)


KeysQuery = Annotated[ApiKeyQuery, Query()]


@router.post("/auth/api-keys", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED, responses=KEY_REFUSED)
async def create_api_key(
    body: ApiKeyCreate, principal: SignedInPrincipal, service: Service, request: Request, response: Response
) -> ApiKeyCreated:
    """Create a key acting as the caller; the response is the only place its secret appears."""
    created = await service.create(principal.id, body.model_dump(exclude_unset=True))
    response.headers["Location"] = location(request, created.id)
    response.headers["Cache-Control"] = "no-store"
    return created


@router.get("/auth/api-keys", response_model=list[ApiKeyRead], responses=KEY_REFUSED)
async def list_api_keys(principal: SignedInPrincipal, service: Service, query: KeysQuery, paged: Paged) -> object:
    """The caller's keys (never their secrets)."""
    return paged.respond(query.pagination, await service.list_of(principal.id, query.pagination, query.order))


@router.get("/auth/api-keys/{key_id}", response_model=ApiKeyRead, responses=KEY_REFUSED)
async def get_api_key(key_id: Id, principal: SignedInPrincipal, service: Service) -> ApiKeyRead:
    """One of the caller's keys."""
    return await service.get_of(principal.id, key_id)


@router.delete(
    "/auth/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response, responses=KEY_REFUSED
)
async def revoke_api_key(key_id: Id, principal: SignedInPrincipal, service: Service) -> None:
    """Revoke one of the caller's keys: refused from the next request on, in every process."""
    await service.revoke(principal.id, key_id)


@router.get("/users/{user_id}/api-keys", response_model=list[ApiKeyRead], dependencies=[require("users", "update")])
async def list_user_api_keys(
    user_id: Id, principal: SignedInPrincipal, service: Service, query: KeysQuery, paged: Paged
) -> object:
    """A user's keys, for an admin who may act on that user."""
    await service.owner_for_admin(principal, user_id)
    return paged.respond(query.pagination, await service.list_of(user_id, query.pagination, query.order))


@router.delete(
    "/users/{user_id}/api-keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=[require("users", "update")],
)
async def revoke_user_api_key(user_id: Id, key_id: Id, principal: SignedInPrincipal, service: Service) -> None:
    """Revoke a user's key, for an admin who may act on that user."""
    await service.owner_for_admin(principal, user_id)
    await service.revoke(user_id, key_id)
