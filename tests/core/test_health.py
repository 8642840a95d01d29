"""Public endpoints: liveness, readiness, metrics, the landing page and the offline docs."""

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.backends import Backend
from tests.factories import create_user
from tests.fixtures import make_settings, running_app
from tests.identities import client_for

ASSET_REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


async def test_health_is_ok(anon_client: httpx.AsyncClient) -> None:
    response = await anon_client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_reports_every_check(anon_client: httpx.AsyncClient, backend: Backend) -> None:
    response = await anon_client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": "ok",
            "redis": "ok" if backend.redis_url else "disabled",
            "rabbitmq": "ok" if backend.rabbitmq_url else "disabled",
        },
    }


UNREACHABLE_DATABASES: dict[str, Callable[[Path], str]] = {
    "postgres-closed-port": lambda _tmp: "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere",
    "sqlite-path-is-a-directory": lambda tmp: f"sqlite+aiosqlite:///{tmp}",
}


@pytest.mark.parametrize("database", list(UNREACHABLE_DATABASES))
async def test_ready_is_503_when_the_database_is_unreachable(backend: Backend, tmp_path: Path, database: str) -> None:
    settings = make_settings(
        backend, DATABASE_URL=UNREACHABLE_DATABASES[database](tmp_path), REDIS_URL=None, RABBITMQ_URL=None
    )
    async with running_app(settings) as application, client_for(application) as http:
        response = await http.get("/health/ready")
        liveness = await http.get("/health")

    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "checks": {"database": "error", "redis": "disabled", "rabbitmq": "disabled"},
    }
    assert liveness.status_code == 200


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    user = await create_user(client)
    await client.get(f"/users/{user['id']}")
    await client.get("/no-such-page-7f3a")

    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    text = response.text
    assert re.search(r'http_requests_total\{method="GET",route="/users/\{user_id\}",status="200"\} [1-9]', text)
    assert re.search(r'http_requests_total\{method="POST",route="/users",status="201"\} [1-9]', text)
    assert 'route="<unmatched>",status="404"' in text
    assert f"/users/{user['id']}" not in text  # templates, never raw paths
    assert "no-such-page-7f3a" not in text
    assert 'http_request_duration_seconds_bucket{le="0.1",method="GET",route="/users/{user_id}"}' in text


async def test_landing_page_links_to_the_docs(anon_client: httpx.AsyncClient) -> None:
    response = await anon_client.get("/")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    links = ASSET_REFERENCE.findall(response.text)
    assert "/docs" in links
    assert "/redoc" in links


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_are_served_without_a_cdn(anon_client: httpx.AsyncClient, page: str) -> None:
    response = await anon_client.get(page)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assets = ASSET_REFERENCE.findall(response.text)
    assert any(asset.endswith(".js") for asset in assets)
    assert not re.search(r"https?://", response.text)
    for asset in assets:
        assert asset.startswith("/"), asset
        served = await anon_client.get(asset)
        assert served.status_code == 200, asset
        assert served.content
        assert b"https://cdn." not in served.content, asset  # ReDoc's footer logo came from cdn.redoc.ly


async def test_the_favicon_is_served(anon_client: httpx.AsyncClient) -> None:
    response = await anon_client.get("/favicon.ico")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")


async def test_openapi_schema_lists_the_routes(anon_client: httpx.AsyncClient) -> None:
    response = await anon_client.get("/openapi.json")

    assert response.status_code == 200
    assert "/users/{user_id}" in response.json()["paths"]
