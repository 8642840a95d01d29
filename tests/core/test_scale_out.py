"""Two uvicorn processes on one PostgreSQL, Redis and RabbitMQ: nothing held in only one of them.

Both are called with one token, minted for a superuser by the in-process app on the same database
and JWT_SECRET; that caller is listed too, and its `user.created` is delivered with the others.
"""

import asyncio
from collections import Counter
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from tests.backends import Backend
from tests.broker import consuming
from tests.identities import create_identity
from tests.servers import AppServer
from tests.waiting import wait_until

CALLER_EMAIL = "caller@example.com"


async def listing(http: httpx.AsyncClient) -> tuple[str, list[str]]:
    """The cache status and the listed emails, the caller's left out."""
    response = await http.get("/users")
    assert response.status_code == 200, response.text
    return response.headers["X-Cache"], [user["email"] for user in response.json() if user["email"] != CALLER_EMAIL]


async def create(http: httpx.AsyncClient, email: str) -> int:
    trace = {"X-Request-Id": email.split("@")[0]}
    response = await http.post("/users", json={"email": email, "name": "Scaled"}, headers=trace)
    assert response.status_code == 201, response.text
    user_id: int = response.json()["id"]
    return user_id


async def test_two_instances_share_invalidation_and_deliver_each_event_once(
    backend: Backend,
    app: FastAPI,
    event_settings: Settings,
    redis_settings: Settings,
    app_servers: Callable[[Settings, str], AppServer],
) -> None:
    if backend.name != "postgres":
        pytest.skip("scale-out runs on PostgreSQL, Redis and RabbitMQ")
    settings = event_settings.model_copy(
        update={"REDIS_URL": redis_settings.REDIS_URL, "REDIS_PREFIX": redis_settings.REDIS_PREFIX}
    )
    first, second = app_servers(settings, "first"), app_servers(settings, "second")
    assert settings.JWT_SECRET == app.state.settings.JWT_SECRET
    caller_id, token = await create_identity(app, is_superuser=True, email=CALLER_EMAIL)

    async with consuming(event_settings, app.state.session_factory) as handled:
        await asyncio.gather(first.start(), second.start())
        try:
            # Behind one load balancer, both see the same Host (part of the key: Link headers are absolute).
            async with (
                first.client("api.example.test", token) as on_first,
                second.client("api.example.test", token) as on_second,
            ):
                assert await listing(on_second) == ("MISS", [])
                assert await listing(on_second) == ("HIT", [])
                await create(on_first, "a@example.com")
                assert await listing(on_second) == ("MISS", ["a@example.com"])
                assert await listing(on_first) == ("HIT", ["a@example.com"])  # second filled it for both
                await create(on_second, "b@example.com")
                assert await listing(on_first) == ("MISS", ["a@example.com", "b@example.com"])

                emails = [f"w{n}@example.com" for n in range(40)]
                ids = await asyncio.gather(
                    *(create(on_first if n % 2 else on_second, email) for n, email in enumerate(emails))
                )
                await wait_until(lambda: len(handled) >= 43, 30, lambda: f"{len(handled)} of 43 handled")
                await asyncio.sleep(0.5)  # room for a duplicate to show up
        finally:
            await asyncio.gather(first.stop(), second.stop())

    created = Counter(event.data["id"] for event in handled if event.type == "user.created")
    assert len(handled) == 43  # the 42 writes and the caller's own creation
    assert set(ids) | {caller_id} <= set(created)
    assert max(created.values()) == 1
    writes = [event for event in handled if event.data["id"] != caller_id]
    assert {event.trace_id for event in writes} == {email.split("@")[0] for email in ["a@x", "b@x", *emails]}
    assert {event.actor_id for event in writes} == {caller_id}
