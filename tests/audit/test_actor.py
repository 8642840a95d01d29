"""The authenticated caller reaches both audit tables, and never leaks into another request."""

import httpx
from fastapi import FastAPI

from tests.audit.helpers import access_rows, change_rows
from tests.factories import create_user
from tests.identities import bearer, create_identity


async def test_actor_is_recorded_on_the_change_and_the_access_row(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient, app: FastAPI
) -> None:
    user = await create_user(client, name="Old")
    editor_id, token = await create_identity(app, permissions={"users": ["update"]})

    response = await anon_client.patch(f"/users/{user['id']}", json={"name": "New"}, headers=bearer(token))

    assert response.status_code == 200
    [change] = await change_rows(app, entity_id=user["id"], action="UPDATE")
    assert change.actor_id == editor_id
    assert change.request_id == response.headers["X-Request-Id"]
    [access] = await access_rows(app, request_id=response.headers["X-Request-Id"])
    assert access.user_id == editor_id
    assert (access.method, access.status_code) == ("PATCH", 200)


async def test_the_actor_does_not_leak_into_the_next_request(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient, app: FastAPI
) -> None:
    await client.get("/users")

    response = await anon_client.get("/users")

    assert response.status_code == 401
    [access] = await access_rows(app, request_id=response.headers["X-Request-Id"])
    assert access.user_id is None
