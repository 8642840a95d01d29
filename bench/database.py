"""A throw-away database, and Redis keys under a prefix of their own, for one benchmark run."""

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import redis
from sqlalchemy.engine import make_url


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
