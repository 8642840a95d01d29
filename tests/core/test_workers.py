"""Two worker processes on one database: a change made on one is honoured on the other at its next request.

On SQLite without Redis the generations live in the database file both workers open; on
PostgreSQL the run uses Redis. Tokens are minted by the in-process app on the same database.
"""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from tests.factories import create_product
from tests.identities import bearer, create_identity
from tests.servers import AppServer

PRODUCTS_READ = {"products": ["read"]}
# With Redis the other process learns of a bump by pub/sub, which can reach its event loop
# a moment after the writer's response; in the SQLite file it is there when the commit is.
PUBSUB_DELIVERY_SECONDS = 0.05

# The workers are other processes: they see only what was committed.
pytestmark = pytest.mark.usefixtures("committed")


@pytest.fixture(scope="module")
async def workers(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[AppServer, AppServer]]:
    """Two uvicorn workers on the test database, shared by this module's tests (a start costs a
    second or more of CPU). Each test asks for `committed`: the tables are emptied before it, and
    entries the workers cached before that are unreachable, as after any write (their counters
    start again above any value they held)."""
    workdir = tmp_path_factory.mktemp("workers")
    first, second = AppServer(settings, workdir, "first"), AppServer(settings, workdir, "second")
    try:
        await asyncio.gather(first.start(), second.start())
        yield first, second
    finally:
        await asyncio.gather(first.stop(), second.stop())


async def delivered(settings: Settings) -> None:
    if settings.REDIS_URL:
        await asyncio.sleep(PUBSUB_DELIVERY_SECONDS)


async def status(http: httpx.AsyncClient, token: str) -> int:
    return (await http.get("/products", headers=bearer(token))).status_code


async def skus(http: httpx.AsyncClient, token: str) -> tuple[str, list[str]]:
    response = await http.get("/products", headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.headers["X-Cache"], [product["sku"] for product in response.json()]


async def test_role_change_logout_and_deactivation_reach_the_other_worker_at_once(
    app: FastAPI, settings: Settings, workers: tuple[AppServer, AppServer]
) -> None:
    _, admin = await create_identity(app, is_superuser=True)
    demoted_id, demoted = await create_identity(app, permissions=PRODUCTS_READ)
    _, leaving = await create_identity(app, permissions=PRODUCTS_READ)
    deactivated_id, deactivated = await create_identity(app, permissions=PRODUCTS_READ)
    first, second = workers
    async with first.client(token=admin) as on_first, second.client() as on_second:
        before = [await status(on_second, token) for token in (demoted, leaving, deactivated)]
        remembered = [await status(on_second, token) for token in (demoted, leaving, deactivated)]

        demoting = await on_first.put(f"/users/{demoted_id}/roles", json={"role_ids": []})
        await delivered(settings)
        after_demotion = await status(on_second, demoted)
        logging_out = await on_first.post("/auth/logout", headers=bearer(leaving))
        await delivered(settings)
        after_logout = await status(on_second, leaving)
        deactivating = await on_first.patch(f"/users/{deactivated_id}", json={"is_active": False})
        await delivered(settings)
        after_deactivation = await status(on_second, deactivated)

    assert before == remembered == [200, 200, 200]
    assert (demoting.status_code, after_demotion) == (200, 403)
    assert (logging_out.status_code, after_logout) == (204, 401)
    assert (deactivating.status_code, after_deactivation) == (200, 401)


async def test_a_write_on_one_worker_invalidates_the_other_workers_lists(
    app: FastAPI, settings: Settings, workers: tuple[AppServer, AppServer]
) -> None:
    _, admin = await create_identity(app, is_superuser=True)
    first, second = workers
    async with first.client("api.example.test", admin) as on_first, second.client("api.example.test") as on_second:
        empty = [await skus(on_second, admin) for _ in range(2)]
        product = await create_product(on_first)
        await delivered(settings)
        listed = await skus(on_second, admin)
        await on_first.delete(f"/products/{product['id']}")
        await delivered(settings)
        after_delete = await skus(on_second, admin)

    assert empty == [("MISS", []), ("HIT", [])]
    assert listed == ("MISS", [product["sku"]])
    assert after_delete == ("MISS", [])
