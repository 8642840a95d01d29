"""A request's database connection goes back to the pool before its response is sent.

Held while the response is sent, a connection waits on the client: with more requests in
flight than pooled connections, the others queue behind it.
"""

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from starlette.types import Message

from tests.factories import create_product

# The pool's check-outs and check-ins are what these tests watch: not one connection held throughout.
pytestmark = pytest.mark.usefixtures("committed")


async def timeline(app: FastAPI, method: str, path: str, token: str, body: bytes = b"") -> list[str]:
    """The request's pool check-outs and their check-ins, and the moment its response starts, in order."""
    caller = asyncio.current_task()
    seen: list[str] = []
    ours: set[int] = set()

    def checked_out(_dbapi: object, record: object, _proxy: object) -> None:
        if asyncio.current_task() is caller:  # not a background writer's connection
            ours.add(id(record))
            seen.append("checkout")

    def checked_in(_dbapi: object, record: object) -> None:
        # Possibly from another task: AsyncSession's `async with` closes in a shielded one.
        if id(record) in ours:
            ours.discard(id(record))
            seen.append("checkin")

    listeners: list[tuple[str, Any]] = [("checkout", checked_out), ("checkin", checked_in)]
    pool = app.state.engine.sync_engine.pool
    for name, listener in listeners:
        event.listen(pool, name, listener)

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            seen.append(f"response {message['status']}")

    headers = [(b"host", b"test"), (b"authorization", f"Bearer {token}".encode())]
    if body:
        headers.append((b"content-type", b"application/json"))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
    }
    try:
        await app(scope, receive, send)
    finally:
        for name, listener in listeners:
            event.remove(pool, name, listener)
    return seen


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/products/{id}", 200), ("GET", "/products", 200), ("DELETE", "/products/{id}", 204)],
)
async def test_the_connection_is_back_before_the_response_starts(
    app: FastAPI, client: httpx.AsyncClient, admin: tuple[int, str], method: str, path: str, status: int
) -> None:
    product = await create_product(client)

    seen = await timeline(app, method, path.format(id=product["id"]), admin[1])

    assert seen[-1] == f"response {status}"
    assert seen.count("checkout") == seen.count("checkin") >= 1


async def test_a_refused_write_gives_its_connection_back_too(
    app: FastAPI, client: httpx.AsyncClient, admin: tuple[int, str]
) -> None:
    product = await create_product(client)
    clash = f'{{"sku": "{product["sku"]}", "name": "Same SKU", "price": "1.00"}}'.encode()

    seen = await timeline(app, "POST", "/products", admin[1], clash)

    assert seen[-1] == "response 409"
    assert seen.count("checkout") == seen.count("checkin") >= 1
