"""The databases, caches and brokers the suite runs against, one private set per xdist worker."""

import asyncio
import os
import shutil
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from alembic import command
from app.cli import alembic_config

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")


@dataclass(frozen=True)
class Backend:
    name: str
    database_url: str
    redis_url: str | None = None
    rabbitmq_url: str | None = None


def in_thread(function: Callable[[], None]) -> None:
    """Run blocking set-up (Alembic runs its own event loop) away from the test loop."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            function()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def migrate(database_url: str) -> None:
    in_thread(lambda: command.upgrade(alembic_config(database_url), "head"))


def sqlite_backend(tmp_dir: Path, migrated: Path) -> Backend:
    """A copy of `migrated`, an empty database at the head revision."""
    path = tmp_dir / f"test_{WORKER}.db"
    shutil.copyfile(migrated, path)
    return Backend("sqlite", f"sqlite+aiosqlite:///{path}")


def postgres_backend(base_url: str, redis_url: str | None, rabbitmq_url: str | None) -> Backend:
    name = f"test_{WORKER}_{uuid.uuid4().hex[:8]}"
    url = make_url(base_url).set(drivername="postgresql+asyncpg", database=name)
    admin_dsn = make_url(base_url).set(drivername="postgresql").render_as_string(hide_password=False)

    async def create() -> None:
        connection = await asyncpg.connect(admin_dsn)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    in_thread(lambda: asyncio.run(create()))
    rendered = url.render_as_string(hide_password=False)
    migrate(rendered)
    return Backend(
        "postgres",
        rendered,
        redis_url,
        rabbitmq_url,
    )


def drop_postgres_database(base_url: str, database_url: str) -> None:
    name = make_url(database_url).database
    admin_dsn = make_url(base_url).set(drivername="postgresql").render_as_string(hide_password=False)

    async def drop() -> None:
        connection = await asyncpg.connect(admin_dsn)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    in_thread(lambda: asyncio.run(drop()))
