import time

import httpx
import pytest
from fastapi import FastAPI
from jose import jwt
from passlib.hash import bcrypt

from tests.factories import PASSWORD, create_login_user, create_user, insert_user, login
from tests.identities import bearer
from tests.rows import stored_user


async def test_login_with_form_returns_a_bearer_pair(client: httpx.AsyncClient, anon_client: httpx.AsyncClient) -> None:
    user = await create_login_user(client)

    response = await anon_client.post("/auth/login", data={"username": user["email"], "password": PASSWORD})

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    me = await anon_client.get("/auth/me", headers=bearer(body["access_token"]))
    assert me.json()["email"] == user["email"]


async def test_login_with_json_body(client: httpx.AsyncClient, anon_client: httpx.AsyncClient) -> None:
    user = await create_login_user(client)

    response = await anon_client.post("/auth/login", json={"email": user["email"].upper(), "password": PASSWORD})

    assert response.status_code == 200
    assert response.json()["access_token"]


async def test_access_token_carries_the_spec_claims(client: httpx.AsyncClient, app: FastAPI) -> None:
    user = await create_login_user(client)
    tokens = await login(client, user["email"])
    settings = app.state.settings

    claims = jwt.get_unverified_claims(tokens["access_token"])

    assert claims["sub"] == str(user["id"])
    assert claims["type"] == "access"
    assert claims["iss"] == settings.JWT_ISSUER
    assert claims["aud"] == settings.JWT_AUDIENCE
    assert {"exp", "iat", "jti"} <= claims.keys()
    assert jwt.get_unverified_claims(tokens["refresh_token"])["type"] == "refresh"


async def test_wrong_password_and_unknown_email_get_the_same_401(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    user = await create_login_user(client)

    wrong_password = await anon_client.post("/auth/login", data={"username": user["email"], "password": "nope-nope"})
    unknown_email = await anon_client.post("/auth/login", data={"username": "ghost@example.com", "password": "x" * 9})

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json()["message"] == unknown_email.json()["message"]
    assert wrong_password.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.real_password_hashing
async def test_unknown_email_costs_a_real_hash_verification(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    user = await create_login_user(client)

    async def timed(email: str) -> float:
        started = time.perf_counter()
        await anon_client.post("/auth/login", data={"username": email, "password": "wrong-password"})
        return time.perf_counter() - started

    known = min([await timed(user["email"]) for _ in range(3)])
    unknown = min([await timed(f"ghost{i}@example.com") for i in range(3)])

    # Both verify an argon2 hash; an unknown email answered without one would be many times faster.
    assert unknown > known / 3


async def test_inactive_user_cannot_log_in(client: httpx.AsyncClient, anon_client: httpx.AsyncClient) -> None:
    user = await create_login_user(client, is_active=False)

    response = await anon_client.post("/auth/login", data={"username": user["email"], "password": PASSWORD})

    assert response.status_code == 401


async def test_user_without_password_cannot_log_in(client: httpx.AsyncClient, anon_client: httpx.AsyncClient) -> None:
    user = await create_user(client)

    response = await anon_client.post("/auth/login", data={"username": user["email"], "password": "anything-at-all"})

    assert response.status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "password": "x"},
        {"email": "a@example.com"},
        {"email": "a@example.com", "password": "x", "extra": 1},
    ],
)
async def test_malformed_login_is_422(anon_client: httpx.AsyncClient, body: dict[str, object]) -> None:
    response = await anon_client.post("/auth/login", json=body)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


async def test_broken_json_login_is_422(anon_client: httpx.AsyncClient) -> None:
    response = await anon_client.post("/auth/login", content=b"{", headers={"content-type": "application/json"})

    assert response.status_code == 422


@pytest.mark.real_password_hashing
async def test_a_bcrypt_hash_still_logs_in_and_is_upgraded_to_argon2id(
    anon_client: httpx.AsyncClient, app: FastAPI
) -> None:
    legacy_hash = bcrypt.using(rounds=4).hash(PASSWORD)  # its cost is the hash's own: the cheapest still upgrades
    user = await insert_user(app, hashed_password=legacy_hash)

    response = await anon_client.post("/auth/login", data={"username": user.email, "password": PASSWORD})

    assert response.status_code == 200
    stored = await stored_user(app, user.id or 0)
    assert stored is not None
    assert stored.hashed_password is not None
    assert stored.hashed_password.startswith("$argon2id$")
    await login(anon_client, user.email)  # and the new hash verifies too


async def test_json_nested_too_deep_is_422(anon_client: httpx.AsyncClient) -> None:
    response = await anon_client.post(
        "/auth/login", content=b"[" * 100_000, headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
