"""Refresh rotation, reuse detection, logout, logout-all, password changes."""

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.auth.models import RefreshToken, UserRevokedToken
from app.auth.tokens import hash_token
from app.core.config import Settings
from app.core.models import utcnow
from app.main import create_app
from tests.factories import PASSWORD, create_login_user, login
from tests.identities import bearer, client_for


async def _me(client: httpx.AsyncClient, token: str) -> int:
    return (await client.get("/auth/me", headers=bearer(token))).status_code


async def used_long_ago(app: FastAPI, refresh_token: str) -> None:
    """Back-date a used refresh token's use past the reuse leeway."""
    leeway = app.state.settings.REFRESH_REUSE_LEEWAY_SECONDS
    async with app.state.session_factory() as session:
        stored = await session.scalar(
            select(RefreshToken).where(col(RefreshToken.token_hash) == hash_token(refresh_token))
        )
        assert stored is not None
        assert stored.used_at is not None
        stored.used_at = utcnow() - timedelta(seconds=leeway + 1)
        await session.commit()


async def test_refresh_rotates_and_the_used_token_stops_working(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    user = await create_login_user(client)
    first = await login(anon_client, user["email"])

    rotated = await anon_client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})

    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert await _me(anon_client, second["access_token"]) == 200
    again = await anon_client.post("/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert again.status_code == 200


async def test_reusing_a_refresh_token_revokes_the_whole_family(
    app: FastAPI, client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    user = await create_login_user(client)
    first = await login(anon_client, user["email"])
    second = (await anon_client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})).json()
    await used_long_ago(app, first["refresh_token"])

    reuse = await anon_client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})

    assert reuse.status_code == 401
    # The thief's reuse also ends the legitimate holder's newer tokens.
    assert (await anon_client.post("/auth/refresh", json={"refresh_token": second["refresh_token"]})).status_code == 401
    assert await _me(anon_client, second["access_token"]) == 401


async def test_reuse_revokes_only_that_family(
    app: FastAPI, client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    user = await create_login_user(client)
    stolen = await login(anon_client, user["email"])
    other_device = await login(anon_client, user["email"])
    await anon_client.post("/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
    await used_long_ago(app, stolen["refresh_token"])

    await anon_client.post("/auth/refresh", json={"refresh_token": stolen["refresh_token"]})

    assert await _me(anon_client, other_device["access_token"]) == 200


async def test_refresh_tokens_are_stored_hashed(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await create_login_user(client)
    tokens = await login(anon_client, user["email"])

    stored = (await session.scalars(select(col(RefreshToken.token_hash)))).all()

    assert tokens["refresh_token"] not in stored
    assert hash_token(tokens["refresh_token"]) in stored


async def test_access_token_is_not_a_refresh_token(client: httpx.AsyncClient, anon_client: httpx.AsyncClient) -> None:
    user = await create_login_user(client)
    tokens = await login(anon_client, user["email"])

    response = await anon_client.post("/auth/refresh", json={"refresh_token": tokens["access_token"]})

    assert response.status_code == 401


async def test_logout_ends_access_and_refresh_token_at_once(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await create_login_user(client)
    tokens = await login(anon_client, user["email"])

    response = await anon_client.post(
        "/auth/logout", json={"refresh_token": tokens["refresh_token"]}, headers=bearer(tokens["access_token"])
    )

    assert response.status_code == 204
    assert await _me(anon_client, tokens["access_token"]) == 401
    assert (await anon_client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})).status_code == 401
    revoked = await session.scalar(select(func.count()).select_from(UserRevokedToken))
    assert revoked == 1


async def test_logout_leaves_other_sessions_alone(client: httpx.AsyncClient, anon_client: httpx.AsyncClient) -> None:
    user = await create_login_user(client)
    laptop = await login(anon_client, user["email"])
    phone = await login(anon_client, user["email"])

    await anon_client.post("/auth/logout", headers=bearer(laptop["access_token"]))

    assert await _me(anon_client, phone["access_token"]) == 200


async def test_logout_all_ends_every_session(client: httpx.AsyncClient, anon_client: httpx.AsyncClient) -> None:
    user = await create_login_user(client)
    laptop = await login(anon_client, user["email"])
    phone = await login(anon_client, user["email"])

    response = await anon_client.post("/auth/logout-all", headers=bearer(laptop["access_token"]))

    assert response.status_code == 204
    for tokens in (laptop, phone):
        assert await _me(anon_client, tokens["access_token"]) == 401
        refresh = await anon_client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert refresh.status_code == 401


async def test_change_password_ends_every_other_session(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    user = await create_login_user(client)
    current = await login(anon_client, user["email"])
    other = await login(anon_client, user["email"])

    response = await anon_client.post(
        "/auth/change-password",
        json={"current_password": PASSWORD, "new_password": "a-brand-new-password"},
        headers=bearer(current["access_token"]),
    )

    assert response.status_code == 204
    assert await _me(anon_client, current["access_token"]) == 200
    assert await _me(anon_client, other["access_token"]) == 401
    assert (
        await anon_client.post("/auth/login", data={"username": user["email"], "password": PASSWORD})
    ).status_code == 401
    await login(anon_client, user["email"], "a-brand-new-password")


async def test_change_password_needs_the_current_one(client: httpx.AsyncClient, anon_client: httpx.AsyncClient) -> None:
    user = await create_login_user(client)
    tokens = await login(anon_client, user["email"])

    wrong = await anon_client.post(
        "/auth/change-password",
        json={"current_password": "not-my-password", "new_password": "a-brand-new-password"},
        headers=bearer(tokens["access_token"]),
    )
    too_short = await anon_client.post(
        "/auth/change-password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=bearer(tokens["access_token"]),
    )

    assert wrong.status_code == 400
    assert too_short.status_code == 422
    await login(anon_client, user["email"])


async def test_admin_setting_a_password_ends_that_users_sessions(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    user = await create_login_user(client)
    tokens = await login(anon_client, user["email"])

    assert (await client.patch(f"/users/{user['id']}", json={"password": "set-by-an-admin"})).status_code == 200

    assert await _me(anon_client, tokens["access_token"]) == 401
    await login(anon_client, user["email"], "set-by-an-admin")


async def test_me_shows_roles_and_sorted_permissions(app: FastAPI, anon_client: httpx.AsyncClient) -> None:
    from tests.identities import create_identity

    _, token = await create_identity(app, permissions={"users": ["update"], "audit": []})

    body = (await anon_client.get("/auth/me", headers=bearer(token))).json()

    assert body["permissions"] == ["audit:read", "users:read", "users:update"]
    assert len(body["roles"]) == 1
    assert set(body["roles"][0]) == {"id", "name"}


async def test_patch_me_changes_only_name_and_surname(app: FastAPI, anon_client: httpx.AsyncClient) -> None:
    from tests.identities import create_identity

    _, token = await create_identity(app)

    renamed = await anon_client.patch("/auth/me", json={"name": "New", "surname": "Name"}, headers=bearer(token))
    escalate = await anon_client.patch("/auth/me", json={"is_superuser": True}, headers=bearer(token))

    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["surname"]) == ("New", "Name")
    assert escalate.status_code == 422


async def test_prune_removes_only_expired_revocations(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient, app: FastAPI, session: AsyncSession
) -> None:

    from app.auth.models import AuthSession
    from app.auth.service import AuthService

    user = await create_login_user(client)
    for _ in range(2):
        tokens = await login(anon_client, user["email"])
        await anon_client.post("/auth/logout", headers=bearer(tokens["access_token"]))
    expired = (await session.scalars(select(UserRevokedToken))).first()
    assert expired is not None
    expired.expires_at = utcnow() - timedelta(minutes=1)
    auth_session = (await session.scalars(select(AuthSession))).first()
    assert auth_session is not None
    auth_session.expires_at = utcnow() - timedelta(minutes=1)
    await session.commit()

    pruned = await AuthService(session, app.state.settings).prune_expired()

    assert pruned == (1, 1)
    assert await session.scalar(select(func.count()).select_from(UserRevokedToken)) == 1


@pytest.mark.usefixtures("committed")  # another app on the database
async def test_logout_on_one_instance_is_honoured_by_another(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient, settings: Settings
) -> None:
    other = create_app(settings)
    user = await create_login_user(client)
    tokens = await login(anon_client, user["email"])
    async with other.router.lifespan_context(other), client_for(other, tokens["access_token"]) as on_other:
        assert (await on_other.get("/auth/me")).status_code == 200  # the other instance now knows this caller

        await anon_client.post("/auth/logout", headers=bearer(tokens["access_token"]))

        assert (await on_other.get("/auth/me")).status_code == 401


@pytest.mark.usefixtures("committed")  # another app on the database
async def test_deactivation_on_one_instance_is_honoured_by_another(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient, settings: Settings
) -> None:
    other = create_app(settings)
    user = await create_login_user(client)
    tokens = await login(anon_client, user["email"])
    async with other.router.lifespan_context(other), client_for(other, tokens["access_token"]) as on_other:
        assert (await on_other.get("/auth/me")).status_code == 200

        await client.patch(f"/users/{user['id']}", json={"is_active": False})

        assert (await on_other.get("/auth/me")).status_code == 401
