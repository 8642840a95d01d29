"""Who may call the users routes: 401 without a token, 403 without the grant, and the superuser rule."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import create_user
from tests.identities import client_for, create_identity
from tests.rows import count_users, stored_user

CREATE_AND_UPDATE = {"users": ["create", "update"]}


async def test_only_a_superuser_may_grant_superuser(app: FastAPI) -> None:
    _, token = await create_identity(app, permissions=CREATE_AND_UPDATE)
    async with client_for(app, token) as manager:
        plain = await create_user(manager)
        before = await count_users(app)

        created = await manager.post("/users", json={"email": "boss@example.com", "name": "Boss", "is_superuser": True})
        promoted = await manager.patch(f"/users/{plain['id']}", json={"is_superuser": True})
        replaced = await manager.put(
            f"/users/{plain['id']}", json={"email": plain["email"], "name": plain["name"], "is_superuser": True}
        )

    assert [created.status_code, promoted.status_code, replaced.status_code] == [403, 403, 403]
    assert created.json()["code"] == "forbidden"
    assert await count_users(app) == before
    row = await stored_user(app, plain["id"])
    assert row is not None
    assert (row.is_superuser, row.version) == (False, 1)


async def test_only_a_superuser_may_revoke_superuser(client: httpx.AsyncClient, app: FastAPI) -> None:
    boss = await create_user(client, is_superuser=True)
    _, token = await create_identity(app, permissions=CREATE_AND_UPDATE)
    async with client_for(app, token) as manager:
        demoted = await manager.patch(f"/users/{boss['id']}", json={"is_superuser": False})
        renamed = await manager.patch(f"/users/{boss['id']}", json={"name": "Still Boss"})

    assert demoted.status_code == 403
    # Not even a rename: any change to a superuser's row is reserved to superusers.
    assert renamed.status_code == 403
    unchanged = (await client.get(f"/users/{boss['id']}")).json()
    assert (unchanged["name"], unchanged["is_superuser"]) == (boss["name"], True)


async def test_a_superuser_may_grant_superuser(client: httpx.AsyncClient) -> None:
    user = await create_user(client)

    response = await client.patch(f"/users/{user['id']}", json={"is_superuser": True})

    assert response.status_code == 200
    assert response.json()["is_superuser"] is True


ROUTES: list[tuple[str, str, str, dict[str, Any] | None]] = [
    ("read", "GET", "/users", None),
    ("read", "GET", "/users/search", None),
    ("read", "GET", "/users/stats", None),
    ("read", "GET", "/users/{id}", None),
    ("create", "POST", "/users", {"email": "new@example.com", "name": "New"}),
    ("update", "PUT", "/users/{id}", {"email": "new@example.com", "name": "New"}),
    ("update", "PATCH", "/users/{id}", {"name": "New"}),
    ("delete", "DELETE", "/users/{id}", None),
]


def grants_lacking(action: str) -> dict[str, list[str]]:
    """As close to `action` on users as possible without it."""
    if action == "read":
        return {"roles": ["read"]}  # any grant on users would imply its read
    return {"users": [other for other in ("create", "update", "delete") if other != action]}


@pytest.mark.parametrize(("method", "path", "body"), [route[1:] for route in ROUTES])
async def test_anonymous_is_401(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient, method: str, path: str, body: dict[str, Any] | None
) -> None:
    user = await create_user(client)

    response = await anon_client.request(method, path.format(id=user["id"]), json=body)

    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(("action", "method", "path", "body"), ROUTES)
async def test_each_route_needs_its_own_permission(
    client: httpx.AsyncClient, app: FastAPI, action: str, method: str, path: str, body: dict[str, Any] | None
) -> None:
    url = path.format(id=(await create_user(client))["id"])
    _, lacking = await create_identity(app, permissions=grants_lacking(action))
    _, holding = await create_identity(app, permissions={"users": [action]})

    async with client_for(app, lacking) as denied, client_for(app, holding) as allowed:
        refused = await denied.request(method, url, json=body)
        accepted = await allowed.request(method, url, json=body)

    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    assert accepted.status_code in (200, 201, 204), accepted.text
