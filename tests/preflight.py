"""A service the run names but cannot reach fails the run: nothing is skipped silently."""

import asyncio

import aio_pika
import asyncpg
import pytest
import redis.asyncio as redis
from sqlalchemy.engine import make_url

TIMEOUT_SECONDS = 5


async def _check_all(database_url: str | None, redis_url: str | None, rabbitmq_url: str | None) -> list[str]:
    failures = []
    if database_url:
        try:
            dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
            connection = await asyncpg.connect(dsn, timeout=TIMEOUT_SECONDS)
            await connection.close()
        except Exception as exc:
            failures.append(f"TEST_DATABASE_URL unreachable: {exc!r}")
    if redis_url:
        client = redis.from_url(redis_url, socket_connect_timeout=TIMEOUT_SECONDS)
        try:
            await client.ping()
        except Exception as exc:
            failures.append(f"TEST_REDIS_URL unreachable: {exc!r}")
        finally:
            await client.aclose()
    if rabbitmq_url:
        try:
            broker = await aio_pika.connect(rabbitmq_url, timeout=TIMEOUT_SECONDS)
            await broker.close()
        except Exception as exc:
            failures.append(f"TEST_RABBITMQ_URL unreachable: {exc!r}")
    return failures


def require_named_services(database_url: str | None, redis_url: str | None, rabbitmq_url: str | None) -> None:
    failures = asyncio.run(_check_all(database_url, redis_url, rabbitmq_url))
    if failures:
        pytest.exit("\n".join(failures), returncode=3)
