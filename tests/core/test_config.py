"""Settings: the prod secret guard, list parsing, and the API prefix as a client sees it."""

from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from app.core.config import DEFAULT_JWT_SECRET, Settings
from app.main import create_app
from tests.backends import Backend
from tests.commands import run_app
from tests.fixtures import make_settings, running_app, truncate_all
from tests.identities import client_for, create_identity

STRONG_SECRET = "s" * 32


@pytest.fixture(autouse=True)
def _no_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test sees only the settings it names: no inherited variables, no `.env`."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        (None, "built-in default"),
        (DEFAULT_JWT_SECRET, "built-in default"),
        ("", "at least 32 bytes"),
        ("s" * 31, "at least 32 bytes"),
    ],
)
def test_prod_refuses_a_missing_default_or_short_secret(secret: str | None, reason: str) -> None:
    values = {"APP_ENV": "prod"} if secret is None else {"APP_ENV": "prod", "JWT_SECRET": secret}

    with pytest.raises(ValidationError) as refused:
        Settings.model_validate(values)

    assert "JWT_SECRET" in str(refused.value)
    assert reason in str(refused.value)


@pytest.mark.parametrize("secret", [STRONG_SECRET, "é" * 16])  # bytes count, not characters
def test_prod_accepts_a_secret_of_32_bytes(secret: str) -> None:
    assert secret == Settings.model_validate({"APP_ENV": "prod", "JWT_SECRET": secret}).JWT_SECRET


@pytest.mark.parametrize("env", ["dev", "test"])
def test_dev_and_test_run_with_the_default_secret(env: str) -> None:
    assert Settings.model_validate({"APP_ENV": env}).JWT_SECRET == DEFAULT_JWT_SECRET


def test_prod_refuses_a_weak_secret_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "prod")
    monkeypatch.setenv("JWT_SECRET", "short")

    with pytest.raises(ValidationError, match="at least 32 bytes"):
        Settings()


def test_the_service_will_not_start_in_prod_with_the_default_secret(tmp_path: Path) -> None:
    env = {"APP_ENV": "prod", "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"}

    result = run_app("serve", "--port", "1", cwd=tmp_path, **env)

    assert result.returncode != 0
    assert "JWT_SECRET is the built-in default" in " ".join(result.stderr.split())  # however it is wrapped


def test_cors_origins_is_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", " https://a.example, https://b.example:8443 ,,")

    assert Settings().CORS_ORIGINS == ["https://a.example", "https://b.example:8443"]


def test_cors_origins_default_to_none() -> None:
    assert Settings().CORS_ORIGINS == []


async def test_cors_answers_the_listed_origins_only(tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}",
            "CORS_ORIGINS": "https://a.example,https://b.example",
        }
    )
    preflight = {"Access-Control-Request-Method": "PATCH", "Access-Control-Request-Headers": "If-Match"}

    async with client_for(create_app(settings)) as http:
        listed = await http.options("/users/1", headers={"Origin": "https://b.example", **preflight})
        unlisted = await http.options("/users/1", headers={"Origin": "https://evil.example", **preflight})
        simple = await http.get("/health", headers={"Origin": "https://a.example"})

    assert listed.status_code == 200
    assert listed.headers["Access-Control-Allow-Origin"] == "https://b.example"
    assert "access-control-allow-origin" not in unlisted.headers
    assert simple.headers["Access-Control-Allow-Origin"] == "https://a.example"
    assert "X-Request-Id" in simple.headers["Access-Control-Expose-Headers"]


@pytest.mark.parametrize("prefix", ["/api/v1", "api/v1/", " /api/v1 "])
def test_api_prefix_is_normalized(prefix: str) -> None:
    assert Settings.model_validate({"API_PREFIX": prefix}).API_PREFIX == "/api/v1"


async def test_api_prefix_applies_to_module_routes_only(backend: Backend) -> None:
    async with running_app(make_settings(backend, API_PREFIX="api/v1/")) as application:
        await truncate_all(application)
        _, token = await create_identity(application, is_superuser=True)
        async with client_for(application, token) as http:
            created = await http.post("/api/v1/users", json={"email": "pre@example.com", "name": "Prefixed"})
            at_location = await http.get(created.headers["Location"])
            listed = await http.get("/api/v1/users", params={"limit": 1})
            unprefixed = await http.get("/users")
            me = await http.get("/api/v1/auth/me")
            role = await http.post("/api/v1/roles", json={"name": "prefixed", "permissions": {"users": []}})
            health = await http.get("/health")

    assert created.status_code == 201
    assert created.headers["Location"] == f"/api/v1/users/{created.json()['id']}"
    assert at_location.status_code == 200
    assert at_location.json() == created.json()
    assert listed.status_code == 200
    assert httpx.URL(listed.links["next"]["url"]).path == "/api/v1/users"
    assert unprefixed.status_code == 404
    assert me.status_code == 200
    assert role.headers["Location"] == f"/api/v1/roles/{role.json()['id']}"
    assert health.status_code == 200
