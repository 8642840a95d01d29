"""The private Redis that fault tests use really loses its data, hangs and comes back."""

import asyncio
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from tests.redis_server import private_redis


async def test_restart_empty_forgets_keys_and_hang_stops_answers(tmp_path: Path) -> None:
    async with private_redis(tmp_path) as server:
        client = Redis.from_url(server.url, socket_timeout=0.5)
        try:
            await client.set("k", "v")
            await server.restart_empty()
            assert await client.get("k") is None

            server.hang()
            with pytest.raises(RedisTimeoutError):
                await client.get("k")
            server.resume()
            await asyncio.sleep(0.1)

            await server.kill()
            with pytest.raises(RedisConnectionError):
                await client.get("k")
        finally:
            await client.aclose()
