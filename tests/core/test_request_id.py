"""A client's X-Request-Id is kept when it is safe, else replaced; both headers echo it."""

import logging
import re

import httpx
import pytest

GENERATED = re.compile(r"^[0-9a-f]{32}$")


@pytest.mark.parametrize("request_id", ["abc", "client-42_retry.3", "A" * 128])
async def test_valid_client_id_is_kept_and_echoed(anon_client: httpx.AsyncClient, request_id: str) -> None:
    response = await anon_client.get("/health", headers={"X-Request-Id": request_id})

    assert response.status_code == 200
    assert response.headers["X-Request-Id"] == request_id
    assert response.headers["X-Trace-Id"] == request_id


@pytest.mark.parametrize(
    "request_id",
    [
        b"A" * 129,
        b"has space",
        b"semi;colon",
        b"slash/es",
        b"back\\slash",
        b'quote"d',
        "\u00fcn\u00efcode".encode(),
        b"",
    ],
)
async def test_invalid_client_id_is_replaced(anon_client: httpx.AsyncClient, request_id: bytes) -> None:
    response = await anon_client.get("/health", headers={b"X-Request-Id": request_id})

    assert response.status_code == 200
    assert GENERATED.fullmatch(response.headers["X-Request-Id"])
    assert response.headers["X-Trace-Id"] == response.headers["X-Request-Id"]


async def test_without_client_id_each_request_gets_its_own(anon_client: httpx.AsyncClient) -> None:
    first = await anon_client.get("/health")
    second = await anon_client.get("/health")

    assert GENERATED.fullmatch(first.headers["X-Request-Id"])
    assert first.headers["X-Trace-Id"] == first.headers["X-Request-Id"]
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


async def test_error_body_carries_the_client_id(anon_client: httpx.AsyncClient) -> None:
    response = await anon_client.get("/users", headers={"X-Request-Id": "trace-me-1"})

    assert response.status_code == 401
    assert response.json()["request_id"] == "trace-me-1"
    assert response.headers["X-Request-Id"] == "trace-me-1"


async def test_the_access_log_line_carries_the_request_id(
    anon_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        await anon_client.get("/health", headers={"X-Request-Id": "log-me-1"})

    access = [record.msg for record in caplog.records if record.name == "app.access"]
    assert access, "no access log line"
    assert isinstance(access[-1], dict)
    assert (access[-1]["request_id"], access[-1]["path"], access[-1]["status"]) == ("log-me-1", "/health", 200)
