"""The access log: one row per request (not /health*, /metrics), written off the request path."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.audit.access_log import AccessLogWriter
from app.core.config import Settings
from app.core.proxies import client_ip, parse_trusted_proxies
from app.main import create_app
from tests.audit.helpers import access_rows


async def test_a_request_is_logged_with_its_details(
    client: httpx.AsyncClient, app: FastAPI, admin: tuple[int, str]
) -> None:
    response = await client.get(
        "/users", params={"limit": 5}, headers={"X-Request-Id": "access-1", "User-Agent": "probe/1.0"}
    )

    [row] = await access_rows(app)
    assert (row.method, row.path, row.status_code) == ("GET", "/users", response.status_code)
    assert row.request_id == "access-1"
    assert row.user_agent == "probe/1.0"
    assert row.ip == "127.0.0.1"
    assert row.user_id == admin[0]
    assert row.duration_ms > 0
    assert row.created_at is not None


async def test_errors_are_logged_with_their_status(client: httpx.AsyncClient, app: FastAPI) -> None:
    await client.get("/no-such-route")
    await client.post("/users", content=b"x" * (app.state.settings.MAX_BODY_BYTES + 1))

    rows = await access_rows(app)
    assert [(row.path, row.status_code) for row in rows] == [("/no-such-route", 404), ("/users", 413)]


async def test_a_nul_in_the_path_is_logged_without_taking_its_batch_down(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    # PostgreSQL stores no NUL in text: one such row used to fail the insert of every row
    # queued with it, so a client could erase the log of its other requests.
    for request_id, path in (("before", "/users"), ("nul", "/users/%00"), ("after", "/users")):
        await client.get(path, headers={"X-Request-Id": request_id})

    rows = await access_rows(app)
    assert [(row.request_id, row.path) for row in rows] == [
        ("before", "/users"),
        ("nul", "/users/%00"),
        ("after", "/users"),
    ]


async def test_a_method_longer_than_its_column_is_logged_cut_without_taking_its_batch_down(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await client.get("/users", headers={"X-Request-Id": "before"})
    odd = await client.request("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "/users", headers={"X-Request-Id": "odd"})

    rows = await access_rows(app)
    assert odd.status_code == 405
    assert [(row.request_id, row.method) for row in rows] == [("before", "GET"), ("odd", "ABCDEFGHIJKLMNOP")]


async def test_health_and_metrics_are_not_logged(client: httpx.AsyncClient, app: FastAPI) -> None:
    for path in ("/health", "/health/ready", "/metrics"):
        assert (await client.get(path)).status_code == 200

    assert await access_rows(app) == []


async def test_forwarded_for_is_ignored_without_trusted_proxies(client: httpx.AsyncClient, app: FastAPI) -> None:
    await client.get("/users", headers={"X-Forwarded-For": "203.0.113.9"})

    [row] = await access_rows(app)
    assert row.ip == "127.0.0.1"


@pytest.fixture
async def proxied_app(committed: FastAPI) -> AsyncIterator[FastAPI]:
    """Another app on `app`'s database (so its commits are real), behind trusted proxies."""
    settings = committed.state.settings.model_copy(update={"TRUSTED_PROXIES": ["127.0.0.1", "10.0.0.0/8"]})
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


async def test_forwarded_for_is_honoured_from_a_trusted_proxy(proxied_app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=proxied_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        await http.get("/users", headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.9, 10.1.2.3"})

    [row] = await access_rows(proxied_app)
    assert row.ip == "203.0.113.9"  # 10.1.2.3 is our proxy; 198.51.100.1 is only what the client claimed


@pytest.mark.parametrize(
    ("peer", "header", "expected"),
    [
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "203.0.113.9", "203.0.113.9"),
        ("198.51.100.7", "203.0.113.9", "198.51.100.7"),  # the peer is not a proxy of ours
        ("127.0.0.1", "1.1.1.1, 203.0.113.9", "203.0.113.9"),
        ("127.0.0.1", "203.0.113.9, 10.0.0.2", "203.0.113.9"),
        ("127.0.0.1", "10.0.0.3, 10.0.0.2", "10.0.0.3"),  # every hop trusted: the first one
        ("127.0.0.1", "not-an-ip", None),
        ("127.0.0.1", " , ", "127.0.0.1"),
        ("::1", "2001:db8::5", "2001:db8::5"),
    ],
)
def test_client_ip_walks_forwarded_for_through_trusted_proxies(
    peer: str, header: str | None, expected: str | None
) -> None:
    trusted = parse_trusted_proxies(["127.0.0.1", "::1", "10.0.0.0/8"])

    assert client_ip(peer, header, trusted) == expected


@pytest.mark.usefixtures("committed")  # the access-log writer, on its own schedule
async def test_graceful_shutdown_writes_queued_rows(app: FastAPI, settings: Settings) -> None:
    application = create_app(settings)
    application.state.access_log.flush_interval = 3600  # only the shutdown can write the row
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.get("/users")

    assert len(await access_rows(app, request_id=response.headers["X-Request-Id"])) == 1


@pytest.mark.usefixtures("committed")  # the access-log writer, on its own schedule
async def test_the_writer_inserts_in_batches_without_waiting_for_the_interval(app: FastAPI) -> None:
    writer = AccessLogWriter(batch_size=3, flush_interval=3600)
    await writer.start(app.state.session_factory)
    try:
        for index in range(3):
            writer.submit(_row(f"batch-{index}"))
        for _ in range(100):
            if len(await _rows_like(app, "batch-")) == 3:
                break
            await _tick()
        assert len(await _rows_like(app, "batch-")) == 3
    finally:
        await writer.stop()


@pytest.mark.usefixtures("committed")  # the access-log writer, on its own schedule
async def test_a_full_queue_drops_rows_instead_of_blocking(app: FastAPI) -> None:
    writer = AccessLogWriter(queue_limit=2, flush_interval=3600)
    await writer.start(app.state.session_factory)
    for index in range(5):
        writer.submit(_row(f"drop-{index}"))
    await writer.stop()

    assert writer.dropped == 3
    assert len(await _rows_like(app, "drop-")) == 2


@pytest.mark.usefixtures("committed")  # the access-log writer, on its own schedule
async def test_a_row_the_database_refuses_is_lost_alone(app: FastAPI) -> None:
    writer = AccessLogWriter(flush_interval=3600)
    await writer.start(app.state.session_factory)
    for index in range(5):
        writer.submit(_row(f"kept-{index}"))
    writer.submit({**_row("refused"), "method": None})  # NOT NULL
    for index in range(5, 9):
        writer.submit(_row(f"kept-{index}"))
    await writer.stop()

    assert await _rows_like(app, "kept-") == [f"kept-{index}" for index in range(9)]
    assert await _rows_like(app, "refused") == []


def _row(request_id: str) -> dict[str, object]:
    return {"method": "GET", "path": "/x", "status_code": 200, "duration_ms": 1.0, "request_id": request_id}


async def _rows_like(app: FastAPI, prefix: str) -> list[str]:
    rows = await access_rows(app)
    return [row.request_id for row in rows if row.request_id and row.request_id.startswith(prefix)]


async def _tick() -> None:
    await asyncio.sleep(0.02)
