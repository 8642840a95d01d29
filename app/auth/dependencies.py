"""Who is calling, and may they: the dependencies every protected route declares."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, TypeVar

import structlog
from fastapi import Depends, Request, Security
from fastapi.security import OAuth2PasswordBearer
from fastapi.security.base import SecurityBase
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.api_keys.keys import hash_key, is_api_key
from app.auth.api_keys.service import INVALID_KEY, verify_api_key
from app.auth.api_keys.usage import KeyUsageRecorder
from app.auth.principal_cache import PrincipalCache, VerifiedCaller
from app.auth.rbac.catalogue import ACTIONS, permission
from app.auth.rbac.repository import RoleRepository
from app.auth.repository import AuthRepository
from app.auth.tokens import AccessTokenDecoder, TokenClaims
from app.core.context import actor_id_var, api_key_id_var
from app.core.database import SessionFactory
from app.core.deps import SessionDep
from app.core.errors import Forbidden, Unauthorized
from app.core.models import utcnow
from app.core.ownership import SCOPED_ACTIONS, scoped
from app.core.service import CrudService

# How the token is read from a request, and the scheme the OpenAPI schema documents.
bearer_scheme = OAuth2PasswordBearer(tokenUrl="auth/login", auto_error=False)
# The other way to present an API key (`Authorization: Bearer ak_...` works too).
API_KEY_HEADER = "x-api-key"
ServiceT = TypeVar("ServiceT", bound=CrudService[Any])


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of this request (plain values: no ORM row to expire).

    Signed in with a token, `claims` are its claims; with an API key, `claims` is None and
    `api_key_id` names the key.
    """

    id: int
    is_superuser: bool
    claims: TokenClaims | None
    permissions: frozenset[str] = frozenset()
    api_key_id: int | None = None

    def can(self, module: str, action: str) -> bool:
        """Whether the caller may `action` on `module` at all: on any row, or (`:own`) on its own.

        Which rows a scoped grant reaches is the service's check (`ensure_owner_scope`).
        """
        if self.is_superuser:
            return True
        wanted = permission(module, action)
        return wanted in self.permissions or (action in SCOPED_ACTIONS and scoped(wanted) in self.permissions)


class CallerScheme(SecurityBase):
    """The dependency that authenticates: the caller (valid access token or API key, the user
    exists and is active); else 401.

    FastAPI documents a `SecurityBase` dependency as a security scheme, with the scopes of the
    `Security(...)` declaring it; this one is documented as `bearer_scheme` (a token from
    `POST /auth/login`). So the scheme and the check are one dependency: a scheme declared
    beside the check was one more to solve per request (4% of a GET by id's instructions).
    """

    def __init__(self) -> None:
        self.model = bearer_scheme.model
        self.scheme_name = bearer_scheme.scheme_name

    async def __call__(self, request: Request) -> Principal:
        return await principal_of(request)


async def principal_of(request: Request) -> Principal:
    """The request's caller, verified on first use and kept on the request.

    What `require(...)` and `service_for(...)` call instead of declaring `CurrentPrincipal`:
    FastAPI caches a dependency per set of security scopes, and solves a dependency's own
    dependencies again wherever it is declared, so each declaration was a second solve of
    this one and of the bearer scheme (a twelfth of a GET by id's instructions).
    """
    known: Principal | None = getattr(request.state, "principal", None)
    if known is None:
        known = request.state.principal = await authenticate(request, await bearer_scheme(request))
    return known


async def authenticate(request: Request, token: str | None) -> Principal:
    """The caller presenting `token` (or an `X-API-Key`), verified; bound to the request's log lines and audit rows."""
    credential = token or request.headers.get(API_KEY_HEADER)
    if not credential:
        raise Unauthorized()
    claims: TokenClaims | None = None
    if is_api_key(credential):
        caller = await _verify_api_key(request, credential)
    else:
        if not token:  # X-API-Key carries keys only
            raise Unauthorized(INVALID_KEY)
        tokens: AccessTokenDecoder = request.app.state.access_tokens
        claims = tokens.decode(token)
        caller = await _verified(request, claims.jti, partial(_verify_in_database, claims=claims))
    actor_id_var.set(caller.user_id)
    api_key_id_var.set(caller.api_key_id)
    if caller.api_key_id is None:
        structlog.contextvars.bind_contextvars(user_id=caller.user_id)
    else:
        structlog.contextvars.bind_contextvars(user_id=caller.user_id, api_key_id=caller.api_key_id)
    return Principal(caller.user_id, caller.is_superuser, claims, caller.permissions, caller.api_key_id)


async def _verified(
    request: Request, cache_key: str, verify: Callable[[AsyncSession], Awaitable[VerifiedCaller]]
) -> VerifiedCaller:
    """The caller behind a credential: from the principal cache, else verified in the database."""
    cache: PrincipalCache = request.app.state.principal_cache
    generation = await cache.generation()
    caller = cache.get(cache_key, generation) if generation is not None else None
    if caller is None:
        # Its own read: the request's session stays unopened when the route needs none (a cached list).
        factory: SessionFactory = request.app.state.read_session_factory
        async with factory() as session:
            caller = await verify(session)
        if generation is not None:
            cache.put(cache_key, generation, caller)
    return caller


async def _verify_api_key(request: Request, key: str) -> VerifiedCaller:
    # Cached under the key's hash: an entry is found only by presenting the whole key again.
    caller = await _verified(request, "ak:" + hash_key(key), partial(verify_api_key, key=key))
    if caller.expires_at is not None and caller.expires_at <= utcnow():
        raise Unauthorized(INVALID_KEY)
    assert caller.api_key_id is not None
    usage: KeyUsageRecorder = request.app.state.api_key_usage
    usage.record(caller.api_key_id)
    return caller


async def _verify_in_database(session: AsyncSession, claims: TokenClaims) -> VerifiedCaller:
    repository = AuthRepository(session)
    row = await repository.load_principal_row(claims)
    if row is None:
        raise Unauthorized("Invalid or expired token")
    user, session_revoked_at, session_exists, token_revoked = row
    if not session_exists or session_revoked_at is not None or token_revoked or not user.is_active:
        raise Unauthorized("Invalid or expired token")
    permissions = (
        frozenset() if user.is_superuser else frozenset(await RoleRepository(session).permissions_of(claims.user_id))
    )
    return VerifiedCaller(claims.user_id, user.is_superuser, permissions)


get_principal = CallerScheme()
CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def get_signed_in_principal(principal: CurrentPrincipal) -> Principal:
    """The caller, signed in with a token: an API key may not manage keys, sessions or passwords (403)."""
    if principal.api_key_id is not None:
        raise Forbidden("An API key cannot manage API keys, sessions or passwords; sign in")
    return principal


async def get_session_claims(principal: Annotated[Principal, Depends(get_signed_in_principal)]) -> TokenClaims:
    """The claims of the caller's access token (the session a logout or password change acts on)."""
    assert principal.claims is not None  # a caller without an API key signed in with a token
    return principal.claims


SignedInPrincipal = Annotated[Principal, Depends(get_signed_in_principal)]
SessionClaims = Annotated[TokenClaims, Depends(get_session_claims)]


class PermissionCheck(CallerScheme):
    """The dependency `require` declares: the caller, if it holds every permission in `required`; else 403."""

    def __init__(self, *required: tuple[str, str]) -> None:
        super().__init__()
        for _, action in required:
            if action not in ACTIONS:
                raise ValueError(f"unknown action {action!r}")
        self.required = required

    async def __call__(self, request: Request) -> Principal:
        principal = await principal_of(request)
        for module, action in self.required:
            if not principal.can(module, action):
                raise Forbidden(f"missing {permission(module, action)}")
        return principal

    def __repr__(self) -> str:
        return f"PermissionCheck{self.required!r}"


def require(module: str, action: str, *also: tuple[str, str]) -> Any:
    """The route-level permission: `dependencies=[require("products", "update")]`; a route needing
    more than one names the others after it: `require("users", "read", ("roles", "read"))`. A route
    that needs the caller takes it from here: `principal: Annotated[Principal, require("posts", "read")]`.

    Declared as OAuth2 scopes (all required), so the OpenAPI schema shows each operation's permissions.
    """
    required = ((module, action), *also)
    return Security(PermissionCheck(*required), scopes=[permission(*pair) for pair in required])


def service_for(service_class: type[ServiceT]) -> Callable[[Request, AsyncSession], Awaitable[ServiceT]]:
    """A dependency building `service_class` on the request's session, acting for its caller."""

    async def build(request: Request, session: SessionDep) -> ServiceT:
        return service_class(session, await principal_of(request))

    return build
