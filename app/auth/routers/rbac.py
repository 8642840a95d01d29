"""Roles admin API, the permission catalogue, and a user's role assignment."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from app.auth.accounts import AccountService, UserRead, UserSortedQuery
from app.auth.dependencies import require, service_for
from app.auth.rbac.schemas import (
    AssignedRole,
    ModuleActions,
    RoleCreate,
    RoleRead,
    RoleReplace,
    RoleUpdate,
    UserRolesUpdate,
    UserWithRoles,
)
from app.auth.rbac.service import RoleService, module_catalogue
from app.core.http import IfMatch, location, with_etag
from app.core.openapi import error_responses
from app.core.pagination import Paged, SortedListQuery, sort_field
from app.core.schemas import Id

router = APIRouter(tags=["rbac"])
NAME_TAKEN = error_responses(409)  # besides those every write can give: a role of that name exists

Service = Annotated[RoleService, Depends(service_for(RoleService))]
Users = Annotated[AccountService, Depends(service_for(AccountService))]
# Who holds what shows users and roles alike.
SEE_ASSIGNMENTS = require("users", "read", ("roles", "read"))


class RoleQuery(SortedListQuery):
    sortable = ("id", "name", "created_at", "updated_at")
    sort: str = sort_field(sortable)


@router.get("/rbac/modules", response_model=list[ModuleActions], dependencies=[require("roles", "read")])
async def list_modules() -> object:
    """Every module and the actions a role can grant in it."""
    return module_catalogue()


@router.get("/roles", response_model=list[RoleRead], dependencies=[require("roles", "read")])
async def list_roles(service: Service, query: Annotated[RoleQuery, Query()], paged: Paged) -> object:
    """List roles with their effective permissions."""
    return paged.respond(query.pagination, await service.list_read(query.pagination, query.order))


@router.post(
    "/roles",
    response_model=RoleRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[require("roles", "create")],
    responses=NAME_TAKEN,
)
async def create_role(body: RoleCreate, service: Service, request: Request, response: Response) -> RoleRead:
    """Create a role; granting a module at all grants its read."""
    role = await service.create_role(body.model_dump())
    response.headers["Location"] = location(request, role.id)
    with_etag(response, role)
    return role


@router.get("/roles/{role_id}", response_model=RoleRead, dependencies=[require("roles", "read")])
async def get_role(role_id: Id, service: Service, response: Response) -> RoleRead:
    """Get one role."""
    role = await service.get_read(role_id)
    with_etag(response, role)
    return role


@router.put(
    "/roles/{role_id}", response_model=RoleRead, dependencies=[require("roles", "update")], responses=NAME_TAKEN
)
async def replace_role(
    role_id: Id, body: RoleReplace, service: Service, if_match: IfMatch, response: Response
) -> RoleRead:
    """Replace a role's name, description and grants."""
    role = await service.update_role(role_id, body.model_dump(), if_match)
    with_etag(response, role)
    return role


@router.patch(
    "/roles/{role_id}", response_model=RoleRead, dependencies=[require("roles", "update")], responses=NAME_TAKEN
)
async def update_role(
    role_id: Id, body: RoleUpdate, service: Service, if_match: IfMatch, response: Response
) -> RoleRead:
    """Change the given fields of a role."""
    role = await service.update_role(role_id, body.changes(), if_match)
    with_etag(response, role)
    return role


@router.delete(
    "/roles/{role_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=[require("roles", "delete")],
)
async def delete_role(role_id: Id, service: Service, if_match: IfMatch) -> None:
    """Delete a role; its holders lose what it granted on their next request."""
    await service.delete(role_id, if_match)


@router.get("/roles/{role_id}/users", response_model=list[UserRead], dependencies=[SEE_ASSIGNMENTS])
async def list_role_holders(
    role_id: Id, service: Service, users: Users, query: Annotated[UserSortedQuery, Query()], paged: Paged
) -> object:
    """The users holding a role."""
    return paged.respond(query.pagination, await service.holders(users, role_id, query.pagination, query.order))


@router.get("/users/{user_id}/roles", response_model=list[AssignedRole], dependencies=[SEE_ASSIGNMENTS])
async def list_user_roles(user_id: Id, service: Service, users: Users) -> list[AssignedRole]:
    """The roles a user holds, with what each grants."""
    return await service.assigned_roles(users, user_id)


@router.put("/users/{user_id}/roles", response_model=UserWithRoles, dependencies=[require("roles", "update")])
async def set_user_roles(user_id: Id, body: UserRolesUpdate, service: Service, users: Users) -> UserWithRoles:
    """Replace the roles of a user, named by id (`role_ids`) or by name (`roles`)."""
    return await service.set_user_roles(users, user_id, body.role_ids, body.roles)
