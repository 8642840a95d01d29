"""Each committed write has its event row, written in the write's own transaction; a refused one has none.

The `admin` fixture created the caller behind `client` before the test, outside any request: its
own `user.created` row is the first in the outbox, and the rows after it are the test's.
"""

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.outbox import OutboxEvent
from tests.factories import create_user


async def outbox(session: AsyncSession, caller_id: int) -> list[OutboxEvent]:
    """The rows queued after the caller's own `user.created`, which must be the only one before them."""
    rows = list((await session.scalars(select(OutboxEvent).order_by(col(OutboxEvent.id)))).all())
    assert [(row.type, row.data["id"]) for row in rows[:1]] == [("user.created", caller_id)]
    return rows[1:]


async def test_create_update_delete_each_queue_an_event_with_the_request_id(
    client: httpx.AsyncClient, session: AsyncSession, admin: tuple[int, str]
) -> None:
    body = {"email": "ann@example.com", "name": "Ann", "password": "secret-123"}
    created = (await client.post("/users", json=body, headers={"X-Request-Id": "trace-create"})).json()
    user_id = created["id"]
    await client.patch(f"/users/{user_id}", json={"name": "Anne"}, headers={"X-Request-Id": "trace-update"})
    await client.delete(f"/users/{user_id}", headers={"X-Request-Id": "trace-delete"})

    rows = await outbox(session, admin[0])

    assert [row.type for row in rows] == ["user.created", "user.updated", "user.deleted"]
    assert [row.trace_id for row in rows] == ["trace-create", "trace-update", "trace-delete"]
    assert [row.actor_id for row in rows] == [admin[0]] * 3  # the authenticated caller
    assert [row.data["id"] for row in rows] == [user_id] * 3
    assert [row.data["version"] for row in rows] == [1, 2, 2]
    assert rows[1].data["name"] == "Anne"
    assert all(row.sent_at is None for row in rows)  # waiting for a relay
    assert len({row.event_id for row in rows}) == 3


async def test_event_has_the_documented_shape_and_no_secrets(
    client: httpx.AsyncClient, session: AsyncSession, admin: tuple[int, str]
) -> None:
    await create_user(client, password="secret-123")

    [row] = await outbox(session, admin[0])
    message = row.envelope().model_dump(mode="json")

    assert set(message) == {"event_id", "type", "occurred_at", "trace_id", "actor_id", "data"}
    assert message["actor_id"] == admin[0]
    assert message["occurred_at"].endswith("Z")
    assert "hashed_password" not in message["data"]
    assert "secret-123" not in str(message)
    assert "$argon2" not in str(message)


async def test_a_refused_write_queues_no_event(
    client: httpx.AsyncClient, session: AsyncSession, admin: tuple[int, str]
) -> None:
    user = await create_user(client, email="taken@example.com")

    duplicate = await client.post("/users", json={"email": "taken@example.com", "name": "Twin"})
    stale = await client.patch(f"/users/{user['id']}", json={"name": "Late"}, headers={"If-Match": '"9"'})
    missing = await client.delete("/users/999999")

    assert (duplicate.status_code, stale.status_code, missing.status_code) == (409, 412, 404)
    assert [(row.type, row.data["id"]) for row in await outbox(session, admin[0])] == [("user.created", user["id"])]


async def test_an_update_that_changes_nothing_queues_no_event(
    client: httpx.AsyncClient, session: AsyncSession, admin: tuple[int, str]
) -> None:
    user = await create_user(client)

    response = await client.patch(f"/users/{user['id']}", json={})

    assert response.status_code == 200
    assert response.json()["version"] == 1
    assert [(row.type, row.data["id"]) for row in await outbox(session, admin[0])] == [("user.created", user["id"])]
