"""A cache that fails is bypassed, never an error; what a failed invalidation owes is paid once Redis is back."""

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.core.config import Settings
from tests.backends import Backend
from tests.factories import create_user
from tests.fixtures import make_settings
from tests.identities import CALLER_NAME
from tests.servers import free_port, serving, settings_environment
from tests.tcp_proxy import TcpProxy
from tests.waiting import eventually


@pytest.fixture
async def redis_proxy(redis_url: str) -> AsyncIterator[TcpProxy]:
    async with TcpProxy.running(redis_url) as proxy:
        yield proxy


async def names(http: httpx.AsyncClient) -> tuple[str, list[str]]:
    """The cache status and the listed names, the callers `serving` created left out."""
    response = await http.get("/users")
    assert response.status_code == 200, response.text
    return response.headers["X-Cache"], [user["name"] for user in response.json() if user["name"] != CALLER_NAME]


@pytest.mark.usefixtures("committed")  # another app on the database, its tables emptied
async def test_an_unreachable_redis_means_uncached_answers_not_errors(backend: Backend) -> None:
    settings = make_settings(backend, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")

    async with serving(settings) as (_, http, _):
        first = await names(http)
        created = await http.post("/users", json={"email": "ann@example.com", "name": "Ann"})
        second = await names(http)

    assert first == ("MISS", [])
    assert created.status_code == 201
    assert second == ("MISS", ["Ann"])


async def test_redis_cut_mid_run_is_bypassed_and_owed_invalidations_reach_other_instances(
    redis_settings: Settings, redis_url: str, redis_proxy: TcpProxy
) -> None:
    direct = redis_settings
    proxied = direct.model_copy(update={"REDIS_URL": redis_proxy.url_through(redis_url)})

    async with serving(proxied) as (_, writer, _), serving(direct) as (_, reader, _):
        await create_user(writer, name="Ann")
        assert await names(reader) == ("MISS", ["Ann"])
        assert await names(reader) == ("HIT", ["Ann"])

        await redis_proxy.cut()
        during = await names(writer)
        created = await writer.post("/users", json={"email": "bob@example.com", "name": "Bob"})
        stale = await names(reader)  # the bump could not reach Redis: the other instance cannot know yet
        await redis_proxy.restore()

        async def reader_sees_bob() -> bool:
            return (await names(reader))[1] == ["Ann", "Bob"]

        await eventually(reader_sees_bob, 10)  # well before CACHE_TTL_SECONDS: the writer paid what it owed

        async def writer_caches_again() -> bool:
            return (await names(writer))[0] == "HIT"

        await eventually(writer_caches_again, 10)

    assert during == ("MISS", ["Ann"])
    assert created.status_code == 201
    assert stale == ("HIT", ["Ann"])


async def test_a_reader_that_missed_invalidations_while_cut_off_never_serves_what_it_missed(
    redis_settings: Settings, redis_url: str, redis_proxy: TcpProxy
) -> None:
    proxied = redis_settings.model_copy(update={"REDIS_URL": redis_proxy.url_through(redis_url)})

    async with serving(redis_settings) as (_, writer, _), serving(proxied) as (_, reader, _):
        await create_user(writer, name="Ann")
        assert await names(reader) == ("MISS", ["Ann"])
        assert await names(reader) == ("HIT", ["Ann"])

        await redis_proxy.cut()  # the reader's subscription drops: bumps published now never reach it
        await create_user(writer, name="Bob")
        during = await names(reader)
        await redis_proxy.restore()
        seen = []

        async def reader_caches_again() -> bool:
            seen.append(await names(reader))
            return seen[-1][0] == "HIT"

        await eventually(reader_caches_again, 10)

    assert during == ("MISS", ["Ann", "Bob"])
    assert all(listed == ["Ann", "Bob"] for _, listed in seen), seen


async def test_a_cli_write_reaches_the_lists_of_serving_processes(redis_settings: Settings, tmp_path: Path) -> None:
    async with serving(redis_settings) as (_, http, _):
        assert await names(http) == ("MISS", [])
        assert await names(http) == ("HIT", [])

        command = [sys.executable, "-m", "app", "create-superuser", "--email", "ops@example.com"]
        process = await asyncio.create_subprocess_exec(
            *command,
            "--password",
            "ops-password-1",
            "--name",
            "Ops",
            cwd=tmp_path,  # no .env there: the settings are exactly the environment given
            env=settings_environment(redis_settings),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await process.communicate()
        assert process.returncode == 0, stderr.decode()

        async def ops_listed() -> bool:
            return await names(http) == ("MISS", ["Ops"])

        await eventually(ops_listed, 10)  # well before CACHE_TTL_SECONDS: the command bumped the generation


@pytest.mark.usefixtures("committed")  # another app on the database, its tables emptied
async def test_without_redis_the_cache_is_in_memory(backend: Backend) -> None:
    settings: Settings = make_settings(backend, REDIS_URL=None)

    async with serving(settings) as (application, http, _):
        await create_user(http)
        results = [await names(http) for _ in range(2)]

    assert application.state.redis is None
    assert [status for status, _ in results] == ["MISS", "HIT"]
