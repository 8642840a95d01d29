"""Replicas that start together: each runs `db upgrade` then `seed` against one PostgreSQL database."""

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from app.core.config import Settings
from tests.backends import drop_postgres_database, in_thread

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or None
REPLICAS = 3

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")


def admin_dsn(database: str | None = None) -> str:
    assert TEST_DATABASE_URL
    url = make_url(TEST_DATABASE_URL).set(drivername="postgresql")
    return (url.set(database=database) if database else url).render_as_string(hide_password=False)


async def execute(dsn: str, statement: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def fetch(dsn: str, query: str) -> list[tuple[object, ...]]:
    connection = await asyncpg.connect(dsn)
    try:
        return [tuple(row) for row in await connection.fetch(query)]
    finally:
        await connection.close()


@pytest.fixture
def empty_database() -> Iterator[str]:
    assert TEST_DATABASE_URL
    name = f"test_start_{uuid.uuid4().hex[:10]}"
    in_thread(lambda: asyncio.run(execute(admin_dsn(), f'CREATE DATABASE "{name}"')))
    url = make_url(TEST_DATABASE_URL).set(drivername="postgresql+asyncpg", database=name)
    rendered = url.render_as_string(hide_password=False)
    yield rendered
    drop_postgres_database(TEST_DATABASE_URL, rendered)


def test_replicas_upgrading_and_seeding_at_once_all_succeed_once(empty_database: str, tmp_path: Path) -> None:
    inherited = {key: value for key, value in os.environ.items() if key not in Settings.model_fields}
    env = {
        **inherited,
        "APP_ENV": "test",
        "DATABASE_URL": empty_database,
        "FIRST_SUPERUSER_EMAIL": "root@example.com",
        "FIRST_SUPERUSER_PASSWORD": "first-superuser-pw",
        "LOG_LEVEL": "WARNING",
    }
    python = sys.executable
    start = f"{python} -m app db upgrade && {python} -m app seed"
    replicas = [
        subprocess.Popen(
            ["/bin/sh", "-c", start], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(REPLICAS)
    ]
    outputs = [replica.communicate(timeout=180)[0] for replica in replicas]

    assert [replica.returncode for replica in replicas] == [0] * REPLICAS, "\n---\n".join(outputs)
    assert sum("Seeded:" in output for output in outputs) >= 1
    dsn = make_url(empty_database).set(drivername="postgresql").render_as_string(hide_password=False)
    versions = in_thread_fetch(dsn, "SELECT version_num FROM alembic_version")
    superusers = in_thread_fetch(dsn, "SELECT email FROM users WHERE is_superuser")
    roles = in_thread_fetch(dsn, "SELECT name FROM roles ORDER BY name")
    assert len(versions) == 1
    assert superusers == [("root@example.com",)]
    assert roles == [("admin",), ("manager",), ("viewer",)]


def in_thread_fetch(dsn: str, query: str) -> list[tuple[object, ...]]:
    result: list[list[tuple[object, ...]]] = []
    in_thread(lambda: result.append(asyncio.run(fetch(dsn, query))))
    return result[0]
