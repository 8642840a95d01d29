from typing import Annotated

from pydantic import BaseModel, Field, Strict, field_validator, model_validator

from app.auth.accounts import UserRead
from app.auth.rbac.catalogue import all_modules, grantable_actions, scopes
from app.core.ownership import OWN
from app.core.schemas import Id, PatchSchema, RequestSchema, ResourceRead

RoleName = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_.-]+$")]
Description = Annotated[str, Field(max_length=255)]
Grants = dict[str, list[str]]


def validate_grants(grants: Grants) -> Grants:
    """Unknown modules or actions are a 422: a typo must not silently grant nothing."""
    modules = all_modules()
    for module, actions in grants.items():
        if module not in modules:
            raise ValueError(f"unknown module {module!r}; known: {', '.join(modules)}")
        known = grantable_actions(module)
        unknown = [action for action in actions if action not in known]
        if any(action.endswith(f":{OWN}") for action in unknown) and not scopes(module):
            raise ValueError(f"{module!r} rows have no owner: ':{OWN}' cannot be granted on it")
        if unknown:
            raise ValueError(f"unknown action(s) {unknown} for {module!r}; known: {', '.join(known)}")
    return grants


class RoleReplace(RequestSchema):
    name: RoleName
    description: Description | None = None
    permissions: Grants = Field(default_factory=dict, max_length=50)

    _check_grants = field_validator("permissions")(validate_grants)


class RoleCreate(RoleReplace):
    pass


class RoleUpdate(PatchSchema):
    nullable_fields = frozenset({"description"})

    name: RoleName | None = None
    description: Description | None = None
    permissions: Grants | None = Field(default=None, max_length=50)

    @field_validator("permissions")
    @classmethod
    def _check_grants(cls, grants: Grants | None) -> Grants | None:
        return None if grants is None else validate_grants(grants)


class RoleRead(ResourceRead):
    name: str
    description: str | None
    permissions: Grants


class ModuleActions(BaseModel):
    module: str
    actions: list[str]
    scopes: list[str]


class UserRolesUpdate(RequestSchema):
    """The roles a user is to hold: by id (`role_ids`) or by name (`roles`), not both."""

    # Items too: a list is not made strict by RequestSchema.
    role_ids: list[Annotated[Id, Strict()]] | None = Field(default=None, max_length=100)
    roles: list[RoleName] | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _one_way_of_naming(self) -> "UserRolesUpdate":
        if (self.role_ids is None) == (self.roles is None):
            raise ValueError("give either role_ids or roles")
        return self


class AssignedRole(BaseModel):
    id: int
    name: str
    description: str | None
    permissions: Grants


class RoleSummary(BaseModel):
    id: int
    name: str


class UserWithRoles(UserRead):
    roles: list[RoleSummary]
