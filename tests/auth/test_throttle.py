"""Failed logins per (client IP, email): in memory on SQLite runs, in Redis on PostgreSQL runs."""

import httpx

from tests.factories import PASSWORD, create_login_user


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
