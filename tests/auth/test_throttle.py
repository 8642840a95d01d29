"""Password checks per (client, email) and failures per email: in memory on SQLite runs, in Redis on
PostgreSQL runs."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.main import create_app
from tests.factories import PASSWORD, create_login_user
from tests.identities import client_for


async def _attempt(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/auth/login", data={"username": email, "password": password})


async def test_too_many_failures_are_429_with_retry_after(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    user = await create_login_user(client)
    for _ in range(5):
        assert (await _attempt(anon_client, user["email"], "wrong-password")).status_code == 401

    blocked = await _attempt(anon_client, user["email"], PASSWORD)

    assert blocked.status_code == 429
    assert blocked.json()["code"] == "rate_limited"
    assert 1 <= int(blocked.headers["Retry-After"]) <= 300


async def test_throttle_is_per_email(client: httpx.AsyncClient, anon_client: httpx.AsyncClient) -> None:
    victim = await create_login_user(client)
    other = await create_login_user(client)
    for _ in range(5):
        await _attempt(anon_client, victim["email"], "wrong-password")

    assert (await _attempt(anon_client, other["email"], PASSWORD)).status_code == 200


async def test_success_resets_the_count(client: httpx.AsyncClient, anon_client: httpx.AsyncClient) -> None:
    user = await create_login_user(client)
    for _ in range(4):
        await _attempt(anon_client, user["email"], "wrong-password")
    assert (await _attempt(anon_client, user["email"], PASSWORD)).status_code == 200

    for _ in range(4):
        assert (await _attempt(anon_client, user["email"], "wrong-password")).status_code == 401


@pytest.mark.usefixtures("committed")  # requests at once
async def test_parallel_guesses_get_at_most_the_allowed_checks(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    user = await create_login_user(client)

    guesses = [_attempt(anon_client, user["email"], f"guess-{n}") for n in range(20)]
    statuses = sorted(response.status_code for response in await asyncio.gather(*guesses))
    after = await _attempt(anon_client, user["email"], PASSWORD)

    assert statuses == [401] * 5 + [429] * 15  # a slot is taken before the check, not counted after it
    assert after.status_code == 429


@pytest.fixture
async def proxied_app(committed: FastAPI) -> AsyncIterator[FastAPI]:
    """Another app on `app`'s database (so its commits are real), behind a trusted proxy (this test
    client), with a per-account limit of 8."""
    settings = committed.state.settings.model_copy(
        update={"TRUSTED_PROXIES": ["127.0.0.1"], "LOGIN_MAX_ATTEMPTS_PER_ACCOUNT": 8}
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


async def _attempt_from(app: FastAPI, client_address: str, email: str, password: str) -> httpx.Response:
    async with client_for(app) as http:
        return await http.post(
            "/auth/login", data={"username": email, "password": password}, headers={"X-Forwarded-For": client_address}
        )


async def test_behind_a_proxy_one_clients_failures_do_not_lock_out_another(
    client: httpx.AsyncClient, proxied_app: FastAPI
) -> None:
    user = await create_login_user(client)
    for _ in range(5):
        assert (await _attempt_from(proxied_app, "203.0.113.1", user["email"], "wrong-password")).status_code == 401

    attacker = await _attempt_from(proxied_app, "203.0.113.1", user["email"], PASSWORD)
    owner = await _attempt_from(proxied_app, "198.51.100.2", user["email"], PASSWORD)

    assert attacker.status_code == 429
    assert owner.status_code == 200


async def test_failures_from_many_clients_hit_the_per_account_limit(
    client: httpx.AsyncClient, proxied_app: FastAPI
) -> None:
    user = await create_login_user(client)
    other = await create_login_user(client)
    for n in range(8):  # LOGIN_MAX_ATTEMPTS_PER_ACCOUNT, one failure from each of 8 addresses
        assert (await _attempt_from(proxied_app, f"203.0.113.{n}", user["email"], "wrong")).status_code == 401

    fresh_client = await _attempt_from(proxied_app, "198.51.100.9", user["email"], PASSWORD)
    other_account = await _attempt_from(proxied_app, "198.51.100.9", other["email"], PASSWORD)

    assert fresh_client.status_code == 429
    assert 1 <= int(fresh_client.headers["Retry-After"]) <= 300
    assert other_account.status_code == 200


async def test_a_success_does_not_count_against_the_account(client: httpx.AsyncClient, proxied_app: FastAPI) -> None:
    user = await create_login_user(client)
    for n in range(12):  # more successes than the account's limit of failures
        assert (await _attempt_from(proxied_app, f"203.0.113.{n}", user["email"], PASSWORD)).status_code == 200
