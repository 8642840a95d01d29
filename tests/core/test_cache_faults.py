"""A private Redis killed, hung or emptied: callers and lists still answer correctly, and quickly.

Each test starts its own redis-server (tests/redis_server.py); the shared one is never touched.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.backends import Backend
from tests.core.test_workers import PUBSUB_DELIVERY_SECONDS
from tests.factories import create_user
from tests.fixtures import make_settings
from tests.identities import CALLER_NAME, bearer, create_identity
from tests.redis_server import PrivateRedis, private_redis
from tests.servers import AppServer, serving
from tests.waiting import eventually

# REDIS_TIMEOUT_SECONDS is 1 s: a call may pay it once, never hang (a generous bound for a busy host).
WORST_CALL_SECONDS = 3.0


async def timed(call: Awaitable[httpx.Response]) -> httpx.Response:
    started = time.monotonic()
    response = await call
    assert time.monotonic() - started < WORST_CALL_SECONDS, f"{response.request.url} took too long"
    return response


async def names(http: httpx.AsyncClient) -> tuple[str, list[str]]:
    response = await timed(http.get("/users"))
    assert response.status_code == 200, response.text
    return response.headers["X-Cache"], [user["name"] for user in response.json() if user["name"] != CALLER_NAME]


async def kill(server: PrivateRedis) -> Callable[[], Awaitable[None]]:
    await server.kill()
    return server.start


async def hang(server: PrivateRedis) -> Callable[[], Awaitable[None]]:
    server.hang()

    async def resume() -> None:
        server.resume()

    return resume


async def empty(server: PrivateRedis) -> Callable[[], Awaitable[None]]:
    await server.restart_empty()

    async def nothing() -> None:
        pass

    return nothing


@pytest.mark.usefixtures("committed")  # another app on the database, its tables emptied
@pytest.mark.parametrize("fault", [kill, hang, empty])
async def test_callers_and_lists_answer_correctly_whatever_happens_to_redis(
    backend: Backend, tmp_path: Path, fault: Callable[[PrivateRedis], Awaitable[Callable[[], Awaitable[None]]]]
) -> None:
    async with private_redis(tmp_path) as server, serving(make_settings(backend, REDIS_URL=server.url)) as served:
        application, http, _ = served
        _, reader = await create_identity(application, permissions={"users": ["read"]})
        await create_user(http, name="Ann")
        assert await names(http) == ("MISS", ["Ann"])
        assert await names(http) == ("HIT", ["Ann"])
        assert (await http.get("/users", headers=bearer(reader))).status_code == 200  # the caller is remembered

        recover = await fault(server)
        created = await timed(http.post("/users", json={"email": "bob@example.com", "name": "Bob"}))
        during = [await names(http) for _ in range(3)]
        logged_out = await timed(http.post("/auth/logout", headers=bearer(reader)))
        after_logout = await timed(http.get("/users", headers=bearer(reader)))
        await recover()

        async def cached_again() -> bool:
            return await names(http) == ("HIT", ["Ann", "Bob"])

        await eventually(cached_again, 10)
        still_out = await http.get("/users", headers=bearer(reader))

    assert created.status_code == 201
    assert all(listed == ["Ann", "Bob"] for _, listed in during), during
    assert logged_out.status_code == 204
    assert after_logout.status_code == 401
    assert still_out.status_code == 401


async def test_a_logout_after_redis_lost_its_data_is_honoured_by_every_process(
    backend: Backend, app: FastAPI, tmp_path: Path, app_servers: Callable[..., AppServer]
) -> None:
    """Counters that restarted at 0 would climb back to the value an old decision was cached under."""
    if backend.name != "postgres":
        pytest.skip("processes sharing Redis run on PostgreSQL")
    admin_id, admin = await create_identity(app, is_superuser=True)
    _, reader = await create_identity(app, permissions={"users": ["read"]})
    async with private_redis(tmp_path) as server:
        settings = make_settings(backend, REDIS_URL=server.url)
        first, second = app_servers(settings, "first"), app_servers(settings, "second")
        await first.start()
        await second.start()
        async with first.client(token=admin) as on_first, second.client() as on_second:
            bumps = 0
            for _ in range(3):  # auth writes after which the second process remembers the reader
                await create_user(on_first)
                bumps += 1
            assert (await on_second.get("/users", headers=bearer(reader))).status_code == 200

            await server.restart_empty()
            logged_out = await on_first.post("/auth/logout", headers=bearer(reader))
            await asyncio.sleep(PUBSUB_DELIVERY_SECONDS)
            answers = [(await on_second.get("/users", headers=bearer(reader))).status_code]
            for _ in range(bumps + 2):  # enough writes to bring a counter from 0 past its old value
                await create_user(on_first)
                await asyncio.sleep(PUBSUB_DELIVERY_SECONDS)
                answers.append((await on_second.get("/users", headers=bearer(reader))).status_code)
            admin_still_in = (await on_second.get(f"/users/{admin_id}", headers=bearer(admin))).status_code

    assert logged_out.status_code == 204
    assert answers == [401] * (bumps + 3)
    assert admin_still_in == 200
