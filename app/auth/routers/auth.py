"""`/auth`: login, refresh, logout, and the caller's own account."""

import json
from typing import Annotated, Any

from fastapi import Depends, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from app.auth.accounts import AccountService
from app.auth.dependencies import CurrentPrincipal, SessionClaims
from app.auth.rbac.catalogue import ACTIONS, all_modules, permission
from app.auth.rbac.service import RoleService
from app.auth.schemas import (
    ChangePasswordRequest,
    LoginRequest,
    LogoutRequest,
    MeRead,
    MeUpdate,
    RefreshRequest,
    TokenPair,
)
from app.auth.service import AuthService
from app.core.deps import SessionDep, SettingsDep
from app.core.openapi import error_responses
from app.core.proxies import client_ip
from app.core.routing import PrefixedRouter

router = PrefixedRouter(prefix="/auth", tags=["auth"])


async def get_auth_service(session: SessionDep, settings: SettingsDep) -> AuthService:
    return AuthService(session, settings)


Service = Annotated[AuthService, Depends(get_auth_service)]

LOGIN_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
                    "required": ["username", "password"],
                }
            },
            "application/json": {"schema": LoginRequest.model_json_schema()},
        },
    }
}


async def read_credentials(request: Request) -> LoginRequest:
    """The OAuth2 password form (`username` is the email) or a JSON body."""
    try:
        if request.headers.get("content-type", "").startswith("application/json"):
            return LoginRequest.model_validate(json.loads(await request.body()))
        form = await request.form()
        return LoginRequest.model_validate({"email": form.get("username"), "password": form.get("password")})
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_input=False)) from exc
    except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested too deep to parse
        raise RequestValidationError([{"loc": ["body"], "msg": "Malformed body", "type": "value_error"}]) from exc


@router.post("/login", response_model=TokenPair, openapi_extra=LOGIN_BODY, responses=error_responses(401, 429))
async def login(request: Request, response: Response, service: Service) -> TokenPair:
    """Exchange email and password for an access and a refresh token."""
    response.headers["Cache-Control"] = "no-store"  # tokens: never kept by a browser or a proxy
    credentials = await read_credentials(request)
    peer = request.client.host if request.client else None
    # Behind TRUSTED_PROXIES the client is the forwarded address, not the proxy every client shares.
    client = client_ip(peer, request.headers.get("x-forwarded-for"), request.app.state.trusted_proxies)
    return await service.login(
        credentials.email, credentials.password, client or "unknown", request.app.state.login_throttle
    )


@router.post("/refresh", response_model=TokenPair, responses=error_responses(401))
async def refresh(body: RefreshRequest, response: Response, service: Service) -> TokenPair:
    """Rotate a refresh token: a new pair, and the used token stops working."""
    response.headers["Cache-Control"] = "no-store"
    return await service.refresh(body.refresh_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, response_class=Response, responses=error_responses(403))
async def logout(claims: SessionClaims, service: Service, body: LogoutRequest | None = None) -> None:
    """End this session: the access token and its refresh token stop working."""
    await service.logout(claims, body.refresh_token if body else None)


@router.post(
    "/logout-all", status_code=status.HTTP_204_NO_CONTENT, response_class=Response, responses=error_responses(403)
)
async def logout_all(claims: SessionClaims, service: Service) -> None:
    """End every session of the caller."""
    await service.logout_all(claims)


@router.get("/me", response_model=MeRead)
async def read_me(principal: CurrentPrincipal, session: SessionDep) -> MeRead:
    """The caller, its roles and its effective permissions."""
    return await _me(principal, session)


@router.patch("/me", response_model=MeRead)
async def update_me(body: MeUpdate, principal: CurrentPrincipal, session: SessionDep) -> MeRead:
    """Change the caller's own name and surname."""
    await AccountService(session, principal).update(principal.id, body.changes())
    return await _me(principal, session)


@router.post(
    "/change-password", status_code=status.HTTP_204_NO_CONTENT, response_class=Response, responses=error_responses(403)
)
async def change_password(body: ChangePasswordRequest, claims: SessionClaims, service: Service) -> None:
    """Change the caller's password; every other session ends."""
    await service.change_password(claims, body.current_password, body.new_password)


async def _me(principal: CurrentPrincipal, session: SessionDep) -> MeRead:
    if principal.is_superuser:
        permissions = [permission(module, action) for module in all_modules() for action in ACTIONS]
    else:
        permissions = list(principal.permissions)
    roles = await RoleService(session, principal).roles_of_user(principal.id)
    user = await AccountService(session, principal).get(principal.id)
    return MeRead.model_validate({**user.model_dump(), "roles": roles, "permissions": sorted(permissions)})
