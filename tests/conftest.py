"""Every HTTP test runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL too.

The PostgreSQL run also uses Redis and RabbitMQ when TEST_REDIS_URL and TEST_RABBITMQ_URL
are set, so the production wiring is what those tests exercise.
"""

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from app.core.config import Settings
from app.main import create_app
from tests.backends import Backend, drop_postgres_database, postgres_backend, sqlite_backend
from tests.identities import client_for, create_identity
from tests.preflight import require_named_services
from tests.servers import AppServer

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or None
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL") or None
TEST_RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL") or None
BACKENDS = ["sqlite", *(["postgres"] if TEST_DATABASE_URL else [])]


def pytest_sessionstart(session: pytest.Session) -> None:  # noqa: ARG001 - pytest's hook signature
    require_named_services(TEST_DATABASE_URL, TEST_REDIS_URL, TEST_RABBITMQ_URL)


@pytest.fixture(scope="session")
def backends() -> Iterator[dict[str, Backend]]:
    created: dict[str, Backend] = {}
    yield created
    for backend in created.values():
        if backend.name == "postgres" and TEST_DATABASE_URL:
            drop_postgres_database(TEST_DATABASE_URL, backend.database_url)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, backends: dict[str, Backend], tmp_path_factory: pytest.TempPathFactory
) -> Backend:
    name: str = request.param
    if name not in backends:
        if name == "sqlite":
            backends[name] = sqlite_backend(Path(tmp_path_factory.mktemp("sqlite")))
        else:
            assert TEST_DATABASE_URL
            backends[name] = postgres_backend(TEST_DATABASE_URL, TEST_REDIS_URL, TEST_RABBITMQ_URL)
    return backends[name]


def make_settings(backend: Backend, **overrides: object) -> Settings:
    run = uuid.uuid4().hex[:12]
    values: dict[str, object] = {
        "APP_ENV": "test",
        "DATABASE_URL": backend.database_url,
        "REDIS_URL": backend.redis_url,
        "RABBITMQ_URL": backend.rabbitmq_url,
        "FIRST_SUPERUSER_PASSWORD": None,
        "LOG_LEVEL": "WARNING",
        "REDIS_PREFIX": f"test:{run}:",
        # Others use the same broker: our own exchange and queue, removed by the tests that declare them.
        "EVENTS_EXCHANGE": f"test.events.{run}",
        "EVENTS_QUEUE": f"test.events.{run}.log",
        # A relay competes for outbox rows: the event tests in tests/core start the ones they observe.
        "EVENTS_RELAY_IN_APP": False,
        **overrides,
    }
    return Settings.model_validate(values)


@pytest.fixture(scope="session")
def settings(backend: Backend) -> Settings:
    return make_settings(backend)


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """An app built from `settings` with its lifespan entered (engine, Redis, throttle)."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application
        await forget_redis_keys(application)  # the Redis server outlives the run: leave nothing behind


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    async with running_app(settings) as application:
        yield application


@pytest.fixture(autouse=True)
async def _clean_state(request: pytest.FixtureRequest) -> None:
    """Each HTTP test starts from empty tables (per-worker databases keep workers apart)."""
    if "app" not in request.fixturenames:
        return
    application: FastAPI = request.getfixturevalue("app")
    await application.state.access_log.flush()  # the last test's queued rows must not land in this one
    await truncate_all(application)
    application.state.api_key_usage.forget()  # key ids start again from 1
    await application.state.list_cache.clear()
    await forget_redis_keys(application)


async def forget_redis_keys(application: FastAPI) -> None:
    if application.state.redis is not None:
        keys = [key async for key in application.state.redis.scan_iter(f"{application.state.settings.REDIS_PREFIX}*")]
        if keys:
            await application.state.redis.delete(*keys)


async def truncate_all(application: FastAPI) -> None:
    engine = application.state.engine
    tables = [table.name for table in SQLModel.metadata.sorted_tables]
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                await connection.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
async def admin(app: FastAPI) -> tuple[int, str]:
    """A superuser: (id, access token)."""
    return await create_identity(app, is_superuser=True)


@pytest.fixture
async def client(app: FastAPI, admin: tuple[int, str]) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client authenticated as a superuser."""
    async with client_for(app, admin[1]) as http:
        yield http


@pytest.fixture
async def anon_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client without credentials."""
    async with client_for(app) as http:
        yield http


@pytest.fixture
async def session(app: FastAPI) -> AsyncIterator[AsyncSession]:
    async with app.state.session_factory() as db_session:
        yield db_session


@pytest.fixture
async def app_servers(tmp_path: Path) -> AsyncIterator[Callable[[Settings, str], AppServer]]:
    """Make uvicorn servers that are stopped after the test, whatever happened in it."""
    made: list[AppServer] = []

    def make(settings: Settings, name: str) -> AppServer:
        server = AppServer(settings, tmp_path, name)
        made.append(server)
        return server

    yield make
    for server in made:
        await server.stop()
