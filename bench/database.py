"""A throw-away database, and Redis keys under a prefix of their own, for one benchmark run."""

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import redis
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine


async def _admin(server_url: str, statement: str) -> None:
    dsn = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def scratch_database(server_url: str | None, scratch_dir: Path) -> Iterator[str]:
    """SQLite in `scratch_dir`, or a new database on the PostgreSQL server of `server_url`."""
    if not server_url:
        yield f"sqlite+aiosqlite:///{scratch_dir / 'bench.db'}"
        return
    name = f"bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(server_url).set(drivername="postgresql+asyncpg", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def scratch_redis_keys(redis_url: str | None, prefix: str) -> Iterator[None]:
    """Delete the keys under `prefix` once the block ends (the Redis server outlives the run)."""
    try:
        yield
    finally:
        if redis_url:
            client = redis.Redis.from_url(redis_url)
            try:
                keys = list(client.scan_iter(f"{prefix}*"))
                if keys:
                    client.delete(*keys)
            finally:
                client.close()


async def _lowest_id(url: str, table: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text(f"SELECT min(id) FROM {table}"))).scalar_one())
    finally:
        await engine.dispose()


def lowest_id(url: str, table: str) -> int:
    """The smallest id in `table` of the database at `url` (the bench's own tables only)."""
    return asyncio.run(_lowest_id(url, table))
