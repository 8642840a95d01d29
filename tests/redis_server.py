"""A private `redis-server` on a free loopback port, for tests that kill, hang or empty Redis.

The shared server on 6379 is never touched: a test faults only the instance it started.
"""

import asyncio
import shutil
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.servers import free_port

START_SECONDS = 10.0


class PrivateRedis:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self._process = await asyncio.create_subprocess_exec(
            binary,
            *("--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
            *("--dir", str(self.workdir)),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await self._wait_ready()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def kill(self) -> None:
        """SIGKILL: the server and everything it held are gone."""
        if self._process is not None and self.running:
            self._process.kill()
            await self._process.wait()

    async def restart_empty(self) -> None:
        """Kill, then start again on the same port with no data: a Redis that lost its memory."""
        await self.kill()
        await self.start()

    def hang(self) -> None:
        """SIGSTOP: connections stay open and nothing answers."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)

    async def _wait_ready(self) -> None:
        deadline = asyncio.get_running_loop().time() + START_SECONDS
        client = Redis.from_url(self.url, socket_timeout=1.0)
        try:
            while asyncio.get_running_loop().time() < deadline:
                try:
                    if await client.ping():
                        return
                except RedisConnectionError:
                    pass
                await asyncio.sleep(0.05)
        finally:
            await client.aclose()
        raise AssertionError(f"redis-server on port {self.port} did not start")


@asynccontextmanager
async def private_redis(workdir: Path) -> AsyncIterator[PrivateRedis]:
    """A started private Redis, resumed and killed on exit whatever the test did to it."""
    server = PrivateRedis(workdir)
    await server.start()
    try:
        yield server
    finally:
        if server.running:
            server.resume()
        await server.kill()
