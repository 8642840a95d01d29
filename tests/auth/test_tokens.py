"""Forged, expired and misused tokens are all 401."""

import base64
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from jose import jwt

from tests.factories import create_login_user, login
from tests.identities import bearer


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def _claims_of_valid_token(client: httpx.AsyncClient) -> tuple[dict[str, object], str]:
    user = await create_login_user(client)
    token = (await login(client, user["email"]))["access_token"]
    return jwt.get_unverified_claims(token), token


async def _status_with(anon_client: httpx.AsyncClient, token: str) -> int:
    return (await anon_client.get("/auth/me", headers=bearer(token))).status_code


async def test_a_valid_token_works(client: httpx.AsyncClient, anon_client: httpx.AsyncClient) -> None:
    _, token = await _claims_of_valid_token(client)

    assert await _status_with(anon_client, token) == 200


async def test_alg_none_is_rejected(client: httpx.AsyncClient, anon_client: httpx.AsyncClient) -> None:
    claims, _ = await _claims_of_valid_token(client)
    forged = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."

    assert await _status_with(anon_client, forged) == 401


async def test_tampered_payload_is_rejected(client: httpx.AsyncClient, anon_client: httpx.AsyncClient) -> None:
    claims, token = await _claims_of_valid_token(client)
    header, _, signature = token.split(".")
    tampered = f"{header}.{_b64({**claims, 'sub': '1'})}.{signature}"

    assert await _status_with(anon_client, tampered) == 401


@pytest.mark.parametrize(
    ("change", "secret"),
    [
        ({}, "a-completely-different-secret-of-enough-length"),
        ({"aud": "someone-else"}, None),
        ({"iss": "someone-else"}, None),
        ({"type": "refresh"}, None),
        ({"exp": datetime.now(UTC) - timedelta(seconds=5)}, None),
    ],
    ids=["wrong-secret", "wrong-audience", "wrong-issuer", "wrong-type", "expired"],
)
async def test_resigned_tokens_with_bad_claims_are_rejected(
    client: httpx.AsyncClient,
    anon_client: httpx.AsyncClient,
    app: FastAPI,
    change: dict[str, object],
    secret: str | None,
) -> None:
    claims, _ = await _claims_of_valid_token(client)
    settings = app.state.settings
    forged = jwt.encode({**claims, **change}, secret or settings.JWT_SECRET, algorithm="HS256")

    assert await _status_with(anon_client, forged) == 401


async def test_other_algorithm_with_same_secret_is_rejected(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient, app: FastAPI
) -> None:
    claims, _ = await _claims_of_valid_token(client)
    forged = jwt.encode(claims, app.state.settings.JWT_SECRET, algorithm="HS512")

    assert await _status_with(anon_client, forged) == 401


async def test_refresh_token_is_not_an_access_token(client: httpx.AsyncClient, anon_client: httpx.AsyncClient) -> None:
    user = await create_login_user(client)
    tokens = await login(client, user["email"])

    assert await _status_with(anon_client, tokens["refresh_token"]) == 401


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer not.a.jwt", "Basic dXNlcjpwYXNz"])
async def test_missing_or_garbage_credentials_are_401(anon_client: httpx.AsyncClient, header: str) -> None:
    response = await anon_client.get("/users", headers={"Authorization": header} if header else {})

    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_token_of_a_deleted_user_is_401(client: httpx.AsyncClient, anon_client: httpx.AsyncClient) -> None:
    claims, token = await _claims_of_valid_token(client)
    assert (await client.delete(f"/users/{claims['sub']}")).status_code == 204

    assert await _status_with(anon_client, token) == 401


async def test_token_of_a_deactivated_user_is_401(client: httpx.AsyncClient, anon_client: httpx.AsyncClient) -> None:
    claims, token = await _claims_of_valid_token(client)
    assert (await client.patch(f"/users/{claims['sub']}", json={"is_active": False})).status_code == 200

    assert await _status_with(anon_client, token) == 401


async def test_a_token_verified_before_is_refused_once_it_expires(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    claims, token = await _claims_of_valid_token(client)
    assert await _status_with(anon_client, token) == 200  # verified once: remembered from now on
    expired_at = datetime.fromtimestamp(int(str(claims["exp"])), tz=UTC)

    monkeypatch.setattr("app.auth.tokens.utcnow", lambda: expired_at + timedelta(seconds=1))

    assert await _status_with(anon_client, token) == 401


IN_FIVE_MINUTES = object()


@pytest.mark.parametrize(
    "change",
    [
        {"sub": str(2**70)},
        {"sub": "0"},
        {"sub": "-3"},
        {"sub": "12abc"},
        {"sub": "9" * 5000},
        {"exp": "tomorrow"},
        {"exp": True},
        {"exp": 10**20},
        {"iat": "yesterday"},
        {"iat": IN_FIVE_MINUTES},
        {"jti": "j" * 500},
        {"sid": {"nested": "object"}},
    ],
    ids=[
        "sub-past-32-bits",
        "sub-zero",
        "sub-negative",
        "sub-not-numeric",
        "sub-huge",
        "exp-string",
        "exp-bool",
        "exp-far-future",
        "iat-string",
        "iat-in-the-future",
        "jti-too-long",
        "sid-object",
    ],
)
async def test_validly_signed_tokens_with_malformed_claims_are_401(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient, app: FastAPI, change: dict[str, object]
) -> None:
    claims, _ = await _claims_of_valid_token(client)
    if change.get("iat") is IN_FIVE_MINUTES:  # taken when the test runs, not when it is collected
        change = {"iat": int((datetime.now(UTC) + timedelta(minutes=5)).timestamp())}
    forged = jwt.encode({**claims, **change}, app.state.settings.JWT_SECRET, algorithm="HS256")

    me = await anon_client.get("/auth/me", headers=bearer(forged))
    logout = await anon_client.post("/auth/logout", headers=bearer(forged))

    assert (me.status_code, logout.status_code) == (401, 401)
    assert me.json()["code"] == "unauthorized"


async def test_a_token_issued_a_little_in_the_future_is_accepted(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient, app: FastAPI
) -> None:
    """Issuers' clocks drift: up to a minute ahead is tolerated."""
    claims, _ = await _claims_of_valid_token(client)
    skewed = jwt.encode(
        {**claims, "iat": int((datetime.now(UTC) + timedelta(seconds=30)).timestamp()), "jti": "skewed-token"},
        app.state.settings.JWT_SECRET,
        algorithm="HS256",
    )

    assert await _status_with(anon_client, skewed) == 200


async def test_a_refresh_token_with_malformed_claims_is_401(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient, app: FastAPI
) -> None:
    user = await create_login_user(client)
    refresh = (await login(client, user["email"]))["refresh_token"]
    claims = jwt.get_unverified_claims(refresh)
    forged = jwt.encode({**claims, "sub": str(2**70)}, app.state.settings.JWT_SECRET, algorithm="HS256")

    response = await anon_client.post("/auth/refresh", json={"refresh_token": forged})

    assert response.status_code == 401
