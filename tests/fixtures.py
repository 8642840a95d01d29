"""The suite's fixtures (registered by tests/conftest.py).

Every HTTP test runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL too.

The PostgreSQL run also uses Redis and RabbitMQ when TEST_REDIS_URL and TEST_RABBITMQ_URL
are set, so the production wiring is what those tests exercise.
"""

import os
import shutil
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, closing
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from app.auth import passwords
from app.cli import alembic_config
from app.core.config import Settings
from app.main import create_app
from tests.backends import Backend, drop_postgres_database, migrate, postgres_backend, sqlite_backend
from tests.forkserver import close_fork_server
from tests.identities import client_for, create_identity
from tests.isolation import rolled_back
from tests.servers import AppServer

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or None
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL") or None
TEST_RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL") or None
BACKENDS = ["sqlite", *(["postgres"] if TEST_DATABASE_URL else [])]
# The session-scoped app's background writers wait this long, or for this many rows, before
# writing on their own: in effect, never during a test.
QUIET_SECONDS = 3600.0
QUIET_BATCH = 1_000_000
SCAN_COUNT = 10_000  # keys per SCAN round trip: the whole (small) keyspace in one
# Argon2id at its cheapest, for the users tests create: hashing is not what they test. Tests
# of hashing itself are marked `real_password_hashing` and get the service's own parameters.
CHEAP_PASSWORDS = passwords.password_context.copy(argon2__memory_cost=8, argon2__time_cost=1)


@pytest.fixture(autouse=True)
def _password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("real_password_hashing") is None:
        monkeypatch.setattr(passwords, "password_context", CHEAP_PASSWORDS)


@pytest.fixture(scope="session", autouse=True)
async def _fork_server() -> AsyncIterator[None]:
    """The uvicorn servers' fork server (tests/servers.py), if a test started one, ends with the run."""
    yield
    await close_fork_server()


@pytest.fixture(scope="session")
def backends() -> Iterator[dict[str, Backend]]:
    created: dict[str, Backend] = {}
    yield created
    for backend in created.values():
        if backend.name == "postgres" and TEST_DATABASE_URL:
            drop_postgres_database(TEST_DATABASE_URL, backend.database_url)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest,
    backends: dict[str, Backend],
    tmp_path_factory: pytest.TempPathFactory,
    migrated_sqlite: Path,
) -> Backend:
    name: str = request.param
    if name not in backends:
        if name == "sqlite":
            backends[name] = sqlite_backend(Path(tmp_path_factory.mktemp("sqlite")), migrated_sqlite)
        else:
            assert TEST_DATABASE_URL
            backends[name] = postgres_backend(TEST_DATABASE_URL, TEST_REDIS_URL, TEST_RABBITMQ_URL)
    return backends[name]


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database at the head revision, made once per worker: the SQLite backend, and
    tests that need a migrated database of their own, copy it (`copy_database`) rather than
    running every migration again."""
    path = Path(tmp_path_factory.mktemp("migrated")) / "migrated.db"
    migrate(f"sqlite+aiosqlite:///{path}")
    assert not path.with_name(f"{path.name}-wal").exists(), "a copy of the file alone would miss the WAL's pages"
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]
    return path


def copy_database(template: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)
    return target


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
    application = create_app(settings)
    # Its background writers write only when a test (or the isolation below) flushes them: on
    # a timer they could use the test's one connection while a request is using it.
    application.state.access_log.flush_interval = QUIET_SECONDS
    application.state.access_log.batch_size = QUIET_BATCH
    application.state.api_key_usage.flush_interval = QUIET_SECONDS
    async with application.router.lifespan_context(application):
        yield application
        await forget_redis_keys(application)  # the Redis server outlives the run: leave nothing behind


@pytest.fixture(autouse=True)
async def _isolated(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Each HTTP test starts from empty tables and leaves nothing behind.

    Most run in one transaction that is rolled back at the end (tests/isolation.py). Those that
    need real commits ask for `committed`: tables are emptied before them, and again before the
    next test that is rolled back. So are they after a test that had a backend but no `app`: it
    may have committed through apps of its own.
    """
    if "app" not in request.fixturenames:
        yield
        if "backend" in request.fixturenames:
            _emptied.clear()
        return
    application: FastAPI = request.getfixturevalue("app")
    if "committed" in request.fixturenames:
        await wipe(application)
        _emptied.discard(application)
        yield
        return
    if application not in _emptied:
        await wipe(application)
        _emptied.add(application)
    elif application.state.redis is None:
        await application.state.list_cache.clear()  # its entries, in this process: the rollback left them
    else:
        await forget_redis_keys(application)  # cached lists, generations and login counters
    async with rolled_back(application):
        yield


@pytest.fixture
def committed(app: FastAPI) -> FastAPI:
    """`app`, for a test whose writes must really commit: one of what follows a commit (background
    writers, the relay), of other connections, processes or apps on the database, or of requests
    running at once. Its tables are emptied instead (see `_isolated`)."""
    return app


# The apps whose tables hold nothing a test committed (a migrated database may hold rows too).
_emptied: set[FastAPI] = set()


async def wipe(application: FastAPI) -> None:
    await application.state.access_log.flush()  # the last test's queued rows must not land in this one
    await truncate_all(application)
    application.state.api_key_usage.forget()  # key ids start again from 1
    await application.state.list_cache.clear()
    await forget_redis_keys(application)


async def forget_redis_keys(application: FastAPI) -> None:
    if application.state.redis is not None:
        pattern = f"{application.state.settings.REDIS_PREFIX}*"
        keys = [key async for key in application.state.redis.scan_iter(pattern, count=SCAN_COUNT)]
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
async def app_servers(
    tmp_path: Path,
    committed: FastAPI,  # noqa: ARG001 - the servers are other processes: they see only what was committed
) -> AsyncIterator[Callable[[Settings, str], AppServer]]:
    """Make uvicorn servers that are stopped after the test, whatever happened in it."""
    made: list[AppServer] = []

    def make(settings: Settings, name: str) -> AppServer:
        server = AppServer(settings, tmp_path, name)
        made.append(server)
        return server

    yield make
    for server in made:
        await server.stop()
