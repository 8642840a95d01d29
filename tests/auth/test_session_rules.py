"""Sessions follow the account: double refreshes, concurrent refreshes, deactivation."""

import asyncio

import httpx
import pytest

from tests.factories import create_login_user, login
from tests.identities import bearer


async def _me(client: httpx.AsyncClient, token: str) -> int:
    return (await client.get("/auth/me", headers=bearer(token))).status_code


async def test_reuse_within_the_leeway_is_refused_but_leaves_the_session_alive(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    user = await create_login_user(client)
    first = await login(anon_client, user["email"])
    second = (await anon_client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})).json()

    double_submit = await anon_client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})

    assert double_submit.status_code == 401
    assert await _me(anon_client, second["access_token"]) == 200
    assert (await anon_client.post("/auth/refresh", json={"refresh_token": second["refresh_token"]})).status_code == 200


@pytest.mark.usefixtures("committed")  # requests at once
async def test_concurrent_refreshes_with_one_token_give_exactly_one_pair(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    user = await create_login_user(client)
    tokens = await login(anon_client, user["email"])

    # Eight at once: enough to race on every back end without exhausting a shared server's connections.
    responses = await asyncio.gather(
        *(anon_client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}) for _ in range(8))
    )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [401] * 7
    [winner] = [response.json() for response in responses if response.status_code == 200]
    assert await _me(anon_client, winner["access_token"]) == 200
    assert (await anon_client.post("/auth/refresh", json={"refresh_token": winner["refresh_token"]})).status_code == 200


async def test_deactivation_ends_sessions_and_reactivation_does_not_revive_them(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    user = await create_login_user(client)
    tokens = await login(anon_client, user["email"])

    assert (await client.patch(f"/users/{user['id']}", json={"is_active": False})).status_code == 200
    assert (await client.patch(f"/users/{user['id']}", json={"is_active": True})).status_code == 200

    assert await _me(anon_client, tokens["access_token"]) == 401
    assert (await anon_client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})).status_code == 401
    fresh = await login(anon_client, user["email"])
    assert await _me(anon_client, fresh["access_token"]) == 200
