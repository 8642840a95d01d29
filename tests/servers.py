"""The application under test: in this process, or as uvicorn processes on loopback ports (crashes, scale-out).

Every route but the public ones wants a token: `serving` creates a superuser against the app it
starts; an `AppServer`'s clients take a token minted by an in-process app on the same database
and JWT_SECRET (tests/identities.py `create_identity`).
"""

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from app.core.config import Settings
from app.main import create_app
from tests.forkserver import ForkedServer, fork_server
from tests.identities import bearer, create_identity

START_SECONDS = 30.0


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient, int]]:
    """An app in this process, lifespan included (so its relay runs), with a client for it.

    The client is authenticated as a superuser created against this app's database on start, whose
    id comes third; like any user, that caller is in the user lists and has its `user.created` event.
    """
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        caller_id, token = await create_identity(application, is_superuser=True)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=bearer(token)) as http:
            yield application, http, caller_id


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def settings_environment(settings: Settings) -> dict[str, str]:
    """The process environment that reproduces `settings`, and nothing inherited that could override it."""
    inherited = {key: value for key, value in os.environ.items() if key not in Settings.model_fields}
    values: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, list):
            values[name] = ",".join(value)
        elif isinstance(value, bool):
            values[name] = "true" if value else "false"
        else:
            values[name] = str(value)
    return {**inherited, **values}


class AppServer:
    """`uvicorn app.main:create_app --factory` with the given settings; its log goes to `log_path`.

    Forked from a process that has imported the app already (tests/forkserver.py).
    """

    def __init__(self, settings: Settings, workdir: Path, name: str) -> None:
        self.settings = settings
        self.workdir = workdir  # no .env there: the settings are exactly the environment given
        self.log_path = workdir / f"{name}.log"
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._process: ForkedServer | None = None

    async def start(self) -> None:
        fork = await fork_server(self.workdir)
        self._process = await fork.spawn(
            ["-m", "uvicorn", "app.main:create_app", "--factory", "--host", "127.0.0.1", "--port", str(self.port)],
            self.workdir,
            settings_environment(self.settings),
            self.log_path,
        )
        await self._wait_healthy()

    async def kill(self) -> None:
        """SIGKILL: no lifespan shutdown, no flushing, as a crash or an OOM kill."""
        if self._process is not None and self._process.returncode is None:
            self._process.kill()
            await self._process.wait()

    async def stop(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            try:
                await asyncio.wait_for(self._process.wait(), START_SECONDS)
            except TimeoutError:
                await self.kill()

    def client(self, host: str | None = None, token: str | None = None) -> httpx.AsyncClient:
        """A client; `host` as the Host header, as a load balancer in front of several servers sends it.

        `token` is an access token for this server's database, signed with its JWT_SECRET.
        """
        headers = {"Host": host} if host else {}
        if token:
            headers.update(bearer(token))
        return httpx.AsyncClient(base_url=self.base_url, timeout=10.0, headers=headers)

    async def _wait_healthy(self) -> None:
        deadline = asyncio.get_running_loop().time() + START_SECONDS
        async with self.client() as http:
            while asyncio.get_running_loop().time() < deadline:
                assert self._process is not None
                if self._process.returncode is not None:
                    raise AssertionError(f"server exited: {self.log_path.read_text()[-2000:]}")
                try:
                    if (await http.get("/health")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"server did not start: {self.log_path.read_text()[-2000:]}")
