"""Every error leaves in the SPEC's envelope, with the request id of its X-Request-Id header."""

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.main import create_app
from tests.backends import Backend
from tests.factories import create_user
from tests.fixtures import make_settings, running_app, truncate_all
from tests.identities import client_for, create_identity, login

ENVELOPE_KEYS = {"success", "message", "code", "details", "request_id"}

# A valid user body; the small app below accepts exactly this many bytes and no more.
BODY_AT_LIMIT = json.dumps({"email": "limit@example.com", "name": "Exactly at the limit"}).encode()


def assert_envelope(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == ENVELOPE_KEYS
    assert body["success"] is False
    assert body["code"] == code
    assert isinstance(body["message"], str)
    assert body["message"]
    assert body["request_id"] == response.headers["X-Request-Id"]
    return body


async def chunks(payload: bytes, size: int = 16) -> AsyncIterator[bytes]:
    """A streamed body: no Content-Length, so only counting the bytes can catch it."""
    for start in range(0, len(payload), size):
        yield payload[start : start + size]


@pytest.fixture
async def small_app(backend: Backend) -> AsyncIterator[FastAPI]:
    async with running_app(make_settings(backend, MAX_BODY_BYTES=len(BODY_AT_LIMIT))) as application:
        await truncate_all(application)
        yield application


@pytest.fixture
async def small_client(small_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    _, token = await create_identity(small_app, is_superuser=True)
    async with client_for(small_app, token) as http:
        yield http


async def test_unknown_route_is_404_envelope(anon_client: httpx.AsyncClient) -> None:
    response = await anon_client.get("/no/such/route")

    body = assert_envelope(response, 404, "not_found")
    assert body["details"] is None


async def test_wrong_method_is_405_envelope_with_allow(anon_client: httpx.AsyncClient) -> None:
    response = await anon_client.delete("/health")

    assert_envelope(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET"


async def test_body_at_the_limit_is_accepted(small_client: httpx.AsyncClient) -> None:
    response = await small_client.post("/users", content=BODY_AT_LIMIT, headers={"Content-Type": "application/json"})

    assert response.status_code == 201, response.text


async def test_content_length_over_the_limit_is_413(small_client: httpx.AsyncClient) -> None:
    response = await small_client.post(
        "/users", content=BODY_AT_LIMIT + b" ", headers={"Content-Type": "application/json"}
    )

    assert_envelope(response, 413, "payload_too_large")
    listed = await small_client.get("/users", params={"limit": 100})
    assert "limit@example.com" not in listed.text


@pytest.mark.parametrize("path", ["/users", "/auth/login"])
async def test_streamed_body_over_the_limit_is_413(small_client: httpx.AsyncClient, path: str) -> None:
    response = await small_client.post(
        path, content=chunks(BODY_AT_LIMIT + b" "), headers={"Content-Type": "application/json"}
    )

    assert "Content-Length" not in response.request.headers
    assert_envelope(response, 413, "payload_too_large")


async def test_streamed_body_at_the_limit_is_accepted(small_client: httpx.AsyncClient) -> None:
    response = await small_client.post(
        "/users", content=chunks(BODY_AT_LIMIT), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 201, response.text


async def test_validation_error_is_422_with_details_and_no_input(client: httpx.AsyncClient) -> None:
    body = {"email": "not-an-email-zq7", "name": "", "password": "hunter2"}

    response = await client.post("/users", json=body)

    envelope = assert_envelope(response, 422, "validation_error")
    assert {tuple(item["loc"]) for item in envelope["details"]} == {
        ("body", "email"),
        ("body", "name"),
        ("body", "password"),
    }
    assert all(set(item) == {"loc", "msg", "type"} for item in envelope["details"])
    assert "hunter2" not in response.text
    assert "not-an-email-zq7" not in response.text


@pytest.mark.parametrize(
    ("method", "path", "body", "params"),
    [
        ("POST", "/users", {"email": "nul@example.com", "name": "nul\u0000byte"}, None),
        ("GET", "/users/search", None, {"name": "nul\u0000byte"}),
    ],
)
async def test_text_the_database_cannot_store_is_422_not_500(
    client: httpx.AsyncClient,
    backend: Backend,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    params: dict[str, str] | None,
) -> None:
    response = await client.request(method, path, json=body, params=params)

    if backend.name == "sqlite":  # SQLite stores a NUL character
        assert response.status_code in (200, 201), response.text
    else:  # PostgreSQL text cannot hold one
        assert_envelope(response, 422, "validation_error")


async def test_unknown_body_field_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/users", json={"email": "x@example.com", "name": "X", "role": "admin"})

    envelope = assert_envelope(response, 422, "validation_error")
    assert [(item["loc"], item["type"]) for item in envelope["details"]] == [(["body", "role"], "extra_forbidden")]


async def test_malformed_json_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/users", content=b'{"email": ', headers={"Content-Type": "application/json"})

    envelope = assert_envelope(response, 422, "validation_error")
    assert envelope["details"][0]["type"] == "json_invalid"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/users/2147483648", None),
        ("PATCH", "/users/9223372036854775808", {"name": "X"}),
        ("DELETE", "/users/0", None),
        ("GET", "/roles/99999999999999999999", None),
        ("PUT", "/users/1/roles", {"role_ids": [2147483648]}),
    ],
)
async def test_ids_beyond_the_id_column_are_422_not_500(
    client: httpx.AsyncClient, method: str, path: str, body: dict[str, Any] | None
) -> None:
    response = await client.request(method, path, json=body)

    envelope = assert_envelope(response, 422, "validation_error")
    assert envelope["details"][0]["loc"][0] in ("path", "body")


async def test_unauthenticated_is_401_envelope_with_challenge(anon_client: httpx.AsyncClient) -> None:
    response = await anon_client.get("/users")

    assert_envelope(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_bad_request_is_400_envelope(client: httpx.AsyncClient) -> None:
    user = await create_user(client)

    response = await client.put(f"/users/{user['id']}/roles", json={"role_ids": [999_999]})

    assert_envelope(response, 400, "bad_request")


async def test_rate_limited_is_429_envelope_with_retry_after(backend: Backend) -> None:
    async with running_app(make_settings(backend, LOGIN_MAX_ATTEMPTS=1)) as application:
        await login(application, "nobody@example.com", "wrong-password")

        response = await login(application, "nobody@example.com", "wrong-password")

    assert_envelope(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 1


async def test_unexpected_error_is_500_without_its_text(backend: Backend) -> None:
    application = create_app(make_settings(backend))

    async def explode() -> None:
        raise RuntimeError("cannot reach postgres://admin:s3cret-pw@db.internal")

    application.add_api_route("/explode", explode)

    async with client_for(application) as http:
        response = await http.get("/explode")

    body = assert_envelope(response, 500, "internal_error")
    assert body["message"] == "Internal server error"
    assert body["details"] is None
    for leak in ("s3cret-pw", "db.internal", "RuntimeError", "Traceback"):
        assert leak not in response.text
