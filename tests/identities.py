"""Callers for tests: users with chosen roles and a valid access token, minted without a password hash."""

from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import AuthSession
from app.auth.rbac.repository import RoleRepository
from app.auth.rbac.service import normalize_grants
from app.auth.repository import AuthRepository
from app.auth.tokens import encode_token, new_id
from app.core.database import transaction
from app.core.models import utcnow
from app.modules.users.service import UserService
from tests.factories import unique

CALLER_NAME = "Caller"  # every identity's name: lists that hold callers can leave them out by it


async def create_identity(
    app: FastAPI, *, is_superuser: bool = False, permissions: dict[str, list[str]] | None = None, **fields: Any
) -> tuple[int, str]:
    """A user (with a role granting `permissions`, if given) and an access token for it."""
    async with app.state.session_factory() as session:
        values = {
            "email": f"{unique('caller')}@example.com",
            "name": CALLER_NAME,
            "is_superuser": is_superuser,
            **fields,
        }
        user = await UserService(session).create(values)
        assert user.id is not None
        auth_session = AuthSession(id=new_id(), user_id=user.id, expires_at=utcnow() + timedelta(days=1))
        # The role, its grants, the link and the sign-in in one commit, where RoleService takes
        # three: the same rows and audit trail, about 8 ms a caller with permissions instead of 14.
        async with transaction(session):
            if permissions is not None:
                await grant_own_role(session, user.id, permissions)
            await AuthRepository(session).add_session(auth_session)
    token, _ = encode_token(app.state.settings, user.id, auth_session.id, "access")
    return user.id, token


async def grant_own_role(session: AsyncSession, user_id: int, permissions: dict[str, list[str]]) -> None:
    """A new role granting `permissions`, held by the user alone (as `RoleService.create_role`
    and `set_user_roles` make it, without the checks of a caller's ceiling: there is none here)."""
    roles = RoleRepository(session)
    role = await roles.create({"name": unique("role")})
    assert role.id is not None
    await roles.replace_grants(role.id, normalize_grants(permissions))
    await roles.set_user_roles(user_id, {role.id})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def client_for(app: FastAPI, token: str | None = None) -> httpx.AsyncClient:
    headers = bearer(token) if token else {}
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers)


async def login(app: FastAPI, email: str, password: str) -> httpx.Response:
    """`POST /auth/login` with a JSON body, as a client without a token."""
    async with client_for(app) as http:
        return await http.post("/auth/login", json={"email": email, "password": password})


async def create_api_key(app: FastAPI, token: str, **body: Any) -> dict[str, Any]:
    """`POST /auth/api-keys` as the holder of `token`: the created key, its secret included."""
    async with client_for(app, token) as http:
        response = await http.post("/auth/api-keys", json={"name": unique("key"), **body})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def key_identity(app: FastAPI, **identity: Any) -> tuple[int, str]:
    """Like `create_identity`, but the credential is an API key (with all of the owner's permissions)."""
    user_id, token = await create_identity(app, **identity)
    return user_id, (await create_api_key(app, token))["key"]
