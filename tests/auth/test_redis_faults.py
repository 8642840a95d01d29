"""Login and refresh with Redis killed, hung or emptied: answers, never a 500, within about a second.

Each test runs the app against a private redis-server (tests/redis_server.py) that it faults.
"""

import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.main import create_app
from tests.backends import Backend
from tests.factories import PASSWORD, create_login_user
from tests.fixtures import make_settings
from tests.identities import bearer, client_for
from tests.redis_server import PrivateRedis, private_redis

# One Redis timeout (REDIS_TIMEOUT_SECONDS, 1 s by default) and a password hash, with room for a slow machine.
SLOWEST_SECONDS = 3.0
# The hung Redis's test pays the timeout on its calls: a short one is the same path, paid sooner.
HUNG_TIMEOUT_SECONDS = 0.25


@asynccontextmanager
async def app_on(backend: Backend, redis_server: PrivateRedis, **overrides: object) -> AsyncIterator[httpx.AsyncClient]:
    application: FastAPI = create_app(make_settings(backend, REDIS_URL=redis_server.url, **overrides))
    async with application.router.lifespan_context(application), client_for(application) as http:
        yield http


async def _timed(call: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await call
    return response, time.monotonic() - started


async def _login_and_refresh(http: httpx.AsyncClient, email: str) -> None:
    login, login_seconds = await _timed(http.post("/auth/login", data={"username": email, "password": PASSWORD}))
    assert login.status_code == 200, login.text
    assert login_seconds < SLOWEST_SECONDS
    tokens = login.json()
    refreshed, refresh_seconds = await _timed(
        http.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    )
    assert refreshed.status_code == 200, refreshed.text
    assert refresh_seconds < SLOWEST_SECONDS
    me = await http.get("/auth/me", headers=bearer(refreshed.json()["access_token"]))
    assert me.status_code == 200, me.text


async def _failures_until_429(http: httpx.AsyncClient, email: str) -> list[int]:
    statuses = []
    for _ in range(6):
        response = await http.post("/auth/login", data={"username": email, "password": "wrong-password"})
        statuses.append(response.status_code)
    return statuses


@pytest.mark.usefixtures("committed")  # another app on the database
async def test_redis_killed_login_refresh_and_throttle_still_work(
    client: httpx.AsyncClient, backend: Backend, tmp_path: Path
) -> None:
    user = await create_login_user(client)
    async with private_redis(tmp_path) as redis_server, app_on(backend, redis_server) as http:
        await redis_server.kill()

        await _login_and_refresh(http, user["email"])
        assert await _failures_until_429(http, user["email"]) == [401] * 5 + [429]  # counted in this process


@pytest.mark.usefixtures("committed")  # another app on the database
async def test_redis_hung_login_and_refresh_answer_within_a_timeout(
    client: httpx.AsyncClient, backend: Backend, tmp_path: Path
) -> None:
    user = await create_login_user(client)
    async with (
        private_redis(tmp_path) as redis_server,
        app_on(backend, redis_server, REDIS_TIMEOUT_SECONDS=HUNG_TIMEOUT_SECONDS) as http,
    ):
        redis_server.hang()

        await _login_and_refresh(http, user["email"])
        assert await _failures_until_429(http, user["email"]) == [401] * 5 + [429]


@pytest.mark.usefixtures("committed")  # another app on the database
async def test_redis_restarted_empty_login_and_refresh_work_and_counting_resumes(
    client: httpx.AsyncClient, backend: Backend, tmp_path: Path
) -> None:
    user = await create_login_user(client)
    async with private_redis(tmp_path) as redis_server, app_on(backend, redis_server) as http:
        await _login_and_refresh(http, user["email"])
        await redis_server.restart_empty()

        await _login_and_refresh(http, user["email"])
        assert await _failures_until_429(http, user["email"]) == [401] * 5 + [429]
