"""Security headers on every response, a CSP on HTML pages, no-store on tokens, a token for /metrics."""

import re

import httpx
import pytest

from tests.backends import Backend
from tests.factories import PASSWORD, create_login_user
from tests.fixtures import make_settings, running_app
from tests.identities import bearer, client_for

EVERY_RESPONSE = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def directives(policy: str) -> dict[str, list[str]]:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in parts}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/health", 200),
        ("GET", "/products", 200),
        ("GET", "/products/999999", 404),
        ("POST", "/products", 422),
        ("DELETE", "/health", 405),
        ("GET", "/openapi.json", 200),
        ("GET", "/", 200),
    ],
)
async def test_every_response_carries_the_security_headers(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path, json={} if method == "POST" else None)

    assert response.status_code == status
    for name, value in EVERY_RESPONSE.items():
        assert response.headers[name] == value
    assert "Strict-Transport-Security" not in response.headers  # HSTS_SECONDS is 0 by default


async def test_an_error_answered_by_the_outer_middleware_carries_them_too(client: httpx.AsyncClient) -> None:
    response = await client.post("/products", content=b"x" * (1024 * 1024 + 1), headers={"Content-Type": "text/plain"})

    assert response.status_code == 413
    assert response.headers["X-Frame-Options"] == "DENY"


async def test_token_responses_are_not_stored(client: httpx.AsyncClient, anon_client: httpx.AsyncClient) -> None:
    user = await create_login_user(client)

    issued = await anon_client.post("/auth/login", data={"username": user["email"], "password": PASSWORD})
    rotated = await anon_client.post("/auth/refresh", json={"refresh_token": issued.json()["refresh_token"]})

    assert issued.status_code == rotated.status_code == 200
    assert issued.headers["Cache-Control"] == rotated.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("page", ["/", "/docs", "/redoc"])
async def test_html_pages_allow_only_same_origin_scripts(anon_client: httpx.AsyncClient, page: str) -> None:
    response = await anon_client.get(page)

    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert not INLINE_SCRIPT.search(response.text)  # it would not run under that policy
    assert " style=" not in response.text


@pytest.mark.parametrize("page", ["/", "/docs"])
async def test_pages_other_than_redoc_allow_only_same_origin_styles(anon_client: httpx.AsyncClient, page: str) -> None:
    response = await anon_client.get(page)

    assert directives(response.headers["Content-Security-Policy"])["style-src"] == ["'self'"]


async def test_redoc_sets_its_own_policy_which_the_middleware_keeps(anon_client: httpx.AsyncClient) -> None:
    response = await anon_client.get("/redoc")

    # ReDoc writes <style> elements as it renders: its own policy adds inline styles, nothing more.
    assert directives(response.headers["Content-Security-Policy"])["style-src"] == ["'self'", "'unsafe-inline'"]
    assert response.headers.get_list("Content-Security-Policy") == [response.headers["Content-Security-Policy"]]


async def test_swagger_ui_is_started_by_a_same_origin_script(anon_client: httpx.AsyncClient) -> None:
    page = await anon_client.get("/docs")
    script = await anon_client.get("/docs/swagger-init.js")

    assert 'src="/docs/swagger-init.js"' in page.text
    assert 'data-openapi-url="/openapi.json"' in page.text
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert "SwaggerUIBundle(" in script.text
    assert "Content-Security-Policy" not in script.headers  # not a page


async def test_json_responses_have_no_csp(client: httpx.AsyncClient) -> None:
    assert "Content-Security-Policy" not in (await client.get("/products")).headers


async def test_hsts_when_configured(backend: Backend) -> None:
    async with (
        running_app(make_settings(backend, HSTS_SECONDS=31536000)) as application,
        client_for(application) as http,
    ):
        response = await http.get("/health")

    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


async def test_metrics_are_public_without_a_token(anon_client: httpx.AsyncClient) -> None:
    assert (await anon_client.get("/metrics")).status_code == 200


async def test_metrics_want_the_token_when_one_is_set(backend: Backend) -> None:
    async with (
        running_app(make_settings(backend, METRICS_TOKEN="s3cret-metrics")) as application,
        client_for(application) as http,
    ):
        missing = await http.get("/metrics")
        wrong = await http.get("/metrics", headers=bearer("s3cret-metricz"))
        other_scheme = await http.get("/metrics", headers={"Authorization": "Basic s3cret-metrics"})
        right = await http.get("/metrics", headers=bearer("s3cret-metrics"))

    assert missing.status_code == wrong.status_code == other_scheme.status_code == 401
    assert missing.json()["code"] == "unauthorized"
    assert right.status_code == 200
    assert "http_requests_total" in right.text
