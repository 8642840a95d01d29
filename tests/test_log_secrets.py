"""No password, token or key in any log line, console or JSON, with the back ends up or down.

The app runs as a uvicorn process whose whole output is scanned. Each secret a flow handles is
listed in `Secrets.values`: a new kind of credential adds its value there.
"""

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.core.logging import configure_logging
from app.main import create_app
from tests.backends import Backend
from tests.factories import create_user
from tests.fixtures import make_settings
from tests.identities import bearer, client_for
from tests.redis_server import private_redis
from tests.servers import AppServer

PASSWORD = "hunter2-password-7f3a"
NEW_PASSWORD = "hunter3-password-9b1c"
WRONG_PASSWORD = "hunter4-password-2d5e"
JWT_SECRET = "jwt-secret-that-must-stay-out-of-the-log-0123456789"
METRICS_TOKEN = "metrics-token-5c6d"


@dataclass
class Secrets:
    values: list[str] = field(
        default_factory=lambda: [PASSWORD, NEW_PASSWORD, WRONG_PASSWORD, JWT_SECRET, METRICS_TOKEN]
    )

    def add(self, *values: str) -> None:
        self.values.extend(value for value in values if value)

    def assert_absent(self, log: str) -> None:
        assert log.strip(), "nothing was logged: the scan would prove nothing"
        for secret in self.values:
            # A token is long: a fragment of it is as telling as the whole.
            for fragment in {secret, secret[-24:]}:
                assert fragment not in log, f"a secret ({secret[:6]}...) is in the log"


def log_settings(backend: Backend, log_format: str, **overrides: object) -> Settings:
    return make_settings(
        backend,
        APP_ENV="dev",
        LOG_FORMAT=log_format,
        LOG_LEVEL="DEBUG",
        JWT_SECRET=JWT_SECRET,
        METRICS_TOKEN=METRICS_TOKEN,
        **overrides,
    )


async def run_account_flows(http: httpx.AsyncClient, email: str, secrets: Secrets) -> None:
    """Login (wrong, then right), an API key made, used, forged and revoked, refresh, password
    change, logout, and requests with bad credentials."""
    await http.post("/auth/login", data={"username": email, "password": WRONG_PASSWORD})
    await http.post("/auth/login", json={"email": email, "password": WRONG_PASSWORD})
    login = await http.post("/auth/login", data={"username": email, "password": PASSWORD})
    tokens = login.json() if login.status_code == 200 else {}
    secrets.add(tokens.get("access_token", ""), tokens.get("refresh_token", ""))
    access = tokens.get("access_token", "no-token")
    await run_api_key_flows(http, access, secrets)
    refreshed = await http.post("/auth/refresh", json={"refresh_token": tokens.get("refresh_token", PASSWORD)})
    if refreshed.status_code == 200:
        secrets.add(refreshed.json()["access_token"], refreshed.json()["refresh_token"])
        access = refreshed.json()["access_token"]
    await http.post(
        "/auth/change-password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(access),
    )
    await http.post("/auth/refresh", json={"refresh_token": tokens.get("refresh_token", PASSWORD)})  # reused
    await http.get("/auth/me", headers=bearer(f"{access}x"))
    await http.get("/metrics", headers=bearer(METRICS_TOKEN))
    await http.post("/users", json={"email": "x@example.com", "name": "X", "password": PASSWORD, "is_active": 0})
    await http.post("/auth/logout", headers=bearer(access))


async def run_api_key_flows(http: httpx.AsyncClient, access: str, secrets: Secrets) -> None:
    if access == "no-token":  # the login failed: the database is down in this run
        return
    created = await http.post("/auth/api-keys", json={"name": "nightly"}, headers=bearer(access))
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    secrets.add(key)
    await http.get("/auth/me", headers=bearer(key))
    await http.get("/products", headers={"X-API-Key": key})
    await http.get("/products", headers={"X-API-Key": f"{key}x"})  # forged: same prefix, wrong secret
    await http.post("/auth/logout", headers=bearer(key))  # refused to a key
    await http.delete(f"/auth/api-keys/{created.json()['id']}", headers=bearer(access))
    await http.get("/products", headers={"X-API-Key": key})  # revoked


@pytest.mark.parametrize("log_format", ["console", "json"])
async def test_no_secret_in_the_log_with_redis_up_then_killed(
    client: httpx.AsyncClient,
    backend: Backend,
    tmp_path: Path,
    app_servers: Callable[[Settings, str], AppServer],
    log_format: str,
) -> None:
    user = await create_user(client, password=PASSWORD)
    secrets = Secrets()
    async with private_redis(tmp_path) as redis_server:
        server = app_servers(log_settings(backend, log_format, REDIS_URL=redis_server.url), "app")
        await server.start()
        async with server.client() as http:
            await run_account_flows(http, user["email"], secrets)
            await redis_server.kill()
            await client.patch(f"/users/{user['id']}", json={"password": PASSWORD})
            await run_account_flows(http, user["email"], secrets)
        await server.stop()

    secrets.assert_absent(server.log_path.read_text())


@pytest.mark.parametrize("log_format", ["console", "json"])
async def test_no_secret_in_the_log_with_the_database_unreachable(
    backend: Backend, app_servers: Callable[[Settings, str], AppServer], log_format: str
) -> None:
    settings = log_settings(
        backend, log_format, DATABASE_URL="postgresql+asyncpg://postgres:db-pw-7f3a@127.0.0.1:1/nowhere"
    )
    server = app_servers(settings, "app")
    await server.start()
    async with server.client() as http:
        login = await http.post("/auth/login", data={"username": "a@example.com", "password": PASSWORD})
        await run_account_flows(http, "a@example.com", Secrets())
    await server.stop()
    log = server.log_path.read_text()

    assert login.status_code == 503
    Secrets(values=[*Secrets().values, "db-pw-7f3a"]).assert_absent(log)
    assert "Traceback" not in log  # an outage is one line per request, not a traceback each


@asynccontextmanager
async def failing_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """An app with a route that fails while holding a password in a local variable."""
    application = create_app(settings)

    async def fail(password: str = PASSWORD) -> None:
        credentials = {"password": password}
        raise RuntimeError(f"failed for {len(credentials)} credential")

    application.add_api_route("/fail", fail)
    try:
        async with application.router.lifespan_context(application):
            yield application
    finally:
        configure_logging(make_settings_like_the_suite(settings))


def make_settings_like_the_suite(settings: Settings) -> Settings:
    return settings.model_copy(update={"APP_ENV": "test", "LOG_FORMAT": None, "LOG_LEVEL": "WARNING"})


@pytest.mark.parametrize("log_format", ["console", "json"])
async def test_a_500_logs_one_short_event_without_locals(
    backend: Backend, capfd: pytest.CaptureFixture[str], log_format: str
) -> None:
    async with failing_app(log_settings(backend, log_format)) as application, client_for(application) as http:
        capfd.readouterr()
        response = await http.get("/fail")
        log = capfd.readouterr().err

    assert response.status_code == 500
    assert log.count("unhandled_error") == 1
    assert "RuntimeError: failed for 1 credential" in log
    assert PASSWORD not in log  # rich's tracebacks printed every frame's locals
    assert len(log.splitlines()) < 80
    if log_format == "json":
        [event] = [json.loads(line) for line in log.splitlines() if "unhandled_error" in line]
        assert "Traceback" in event["exception"]
