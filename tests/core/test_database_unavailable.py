"""A database that is down, unreachable or missing: requests get 503 in the error envelope, never 500."""

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from app.auth.tokens import encode_token, new_id
from tests.backends import Backend
from tests.fixtures import TEST_DATABASE_URL, make_settings, running_app
from tests.identities import bearer, client_for

UNAVAILABLE: dict[str, Callable[[Path], str]] = {
    "closed-port": lambda _tmp: "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere",
    "unknown-host": lambda _tmp: "postgresql+asyncpg://postgres@no-such-host.invalid/nowhere",
    "sqlite-not-migrated": lambda tmp: f"sqlite+aiosqlite:///{tmp / 'empty.db'}",
}
if TEST_DATABASE_URL:
    missing = make_url(TEST_DATABASE_URL).set(database="no_such_database_7f3a")
    UNAVAILABLE["missing-database"] = lambda _tmp: missing.render_as_string(hide_password=False)


@pytest.mark.parametrize("database", list(UNAVAILABLE))
async def test_requests_get_503_in_the_envelope(backend: Backend, tmp_path: Path, database: str) -> None:
    settings = make_settings(backend, DATABASE_URL=UNAVAILABLE[database](tmp_path), REDIS_URL=None, RABBITMQ_URL=None)
    token, _ = encode_token(settings, 1, new_id(), "access")
    async with running_app(settings) as application, client_for(application) as http:
        login = await http.post("/auth/login", data={"username": "a@example.com", "password": "some-password"})
        listed = await http.get("/products", headers=bearer(token))

    for response in (login, listed):
        assert response.status_code == 503, response.text
        body = response.json()
        assert body["success"] is False
        assert body["code"] == "service_unavailable"
        assert body["request_id"] == response.headers["X-Request-Id"]
