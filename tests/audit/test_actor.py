"""The authenticated caller (actor_id_var, set during the request) reaches both audit tables."""

import httpx
from fastapi import FastAPI

from tests.audit.helpers import access_rows, change_rows
from tests.factories import create_user


async def test_actor_is_recorded_on_the_change_and_the_access_row(
    client: httpx.AsyncClient, acting_client: httpx.AsyncClient, acting_app: FastAPI
) -> None:
    user = await create_user(client, name="Old")

    response = await acting_client.patch(
        f"/test-acting/users/{user['id']}", params={"name": "New"}, headers={"X-Test-Actor": "77"}
    )

    assert response.status_code == 204
    [change] = await change_rows(acting_app, entity_id=user["id"], action="UPDATE")
    assert change.actor_id == 77
    assert change.request_id == response.headers["X-Request-Id"]
    [access] = await access_rows(acting_app, request_id=response.headers["X-Request-Id"])
    assert access.user_id == 77
    assert access.method == "PATCH"
    assert access.status_code == 204


async def test_the_actor_does_not_leak_into_the_next_request(
    acting_client: httpx.AsyncClient, acting_app: FastAPI
) -> None:
    user = await create_user(acting_client)
    await acting_client.patch(f"/test-acting/users/{user['id']}", params={"name": "X"}, headers={"X-Test-Actor": "5"})

    response = await acting_client.patch(f"/users/{user['id']}", json={"name": "Y"})

    [change] = await change_rows(acting_app, entity_id=user["id"], request_id=response.headers["X-Request-Id"])
    assert change.actor_id is None
    [access] = await access_rows(acting_app, request_id=response.headers["X-Request-Id"])
    assert access.user_id is None
