"""Who holds what: a user's roles, a role's holders, and assigning roles by name."""

import httpx
from fastapi import FastAPI

from tests.factories import create_role, create_user
from tests.identities import client_for, create_identity


async def test_a_users_roles_with_what_each_grants(client: httpx.AsyncClient) -> None:
    user = await create_user(client)
    editors = await create_role(client, "editors", {"posts": ["update:own"]})
    readers = await create_role(client, "readers", {"users": []})
    await client.put(f"/users/{user['id']}/roles", json={"role_ids": [readers["id"], editors["id"]]})

    response = await client.get(f"/users/{user['id']}/roles")

    assert response.status_code == 200
    assert response.json() == [
        {"id": editors["id"], "name": "editors", "description": "d", "permissions": {"posts": ["read", "update:own"]}},
        {"id": readers["id"], "name": "readers", "description": "d", "permissions": {"users": ["read"]}},
    ]
    assert (await client.get("/users/424242/roles")).status_code == 404


async def test_a_roles_holders_paginated(client: httpx.AsyncClient) -> None:
    role = await create_role(client, "crew", {})
    holders = [await create_user(client) for _ in range(3)]
    await create_user(client)  # holds nothing
    for holder in holders:
        await client.put(f"/users/{holder['id']}/roles", json={"role_ids": [role["id"]]})

    first = await client.get(f"/roles/{role['id']}/users", params={"limit": 2, "sort": "id"})
    second = await client.get(f"/roles/{role['id']}/users", params={"limit": 2, "skip": 2, "sort": "id"})

    assert first.status_code == 200
    assert first.headers["X-Total-Count"] == "3"
    assert [user["id"] for user in first.json() + second.json()] == [holder["id"] for holder in holders]
    assert set(first.json()[0]) >= {"id", "email", "name", "is_active", "is_superuser", "version"}
    assert "hashed_password" not in first.json()[0]
    assert (await client.get("/roles/424242/users")).status_code == 404


async def test_who_holds_what_needs_users_read_and_roles_read(app: FastAPI, client: httpx.AsyncClient) -> None:
    user = await create_user(client)
    role = await create_role(client, "crew", {})
    _, users_only = await create_identity(app, permissions={"users": []})
    _, roles_only = await create_identity(app, permissions={"roles": []})
    _, both = await create_identity(app, permissions={"users": [], "roles": []})
    paths = [f"/users/{user['id']}/roles", f"/roles/{role['id']}/users"]

    for token, expected in ((users_only, 403), (roles_only, 403), (both, 200)):
        async with client_for(app, token) as caller:
            assert [(await caller.get(path)).status_code for path in paths] == [expected, expected]


async def test_roles_assigned_by_name(client: httpx.AsyncClient) -> None:
    user = await create_user(client)
    role = await create_role(client, "viewer", {"posts": []})

    named = await client.put(f"/users/{user['id']}/roles", json={"roles": ["viewer"]})
    unknown = await client.put(f"/users/{user['id']}/roles", json={"roles": ["viewer", "nonesuch"]})
    both = await client.put(f"/users/{user['id']}/roles", json={"roles": ["viewer"], "role_ids": [role["id"]]})
    neither = await client.put(f"/users/{user['id']}/roles", json={})

    assert named.status_code == 200
    assert named.json()["roles"] == [{"id": role["id"], "name": "viewer"}]
    assert unknown.status_code == 400
    assert unknown.json()["message"] == "Unknown role(s): nonesuch"
    assert (both.status_code, neither.status_code) == (422, 422)
    assert [r["name"] for r in (await client.get(f"/users/{user['id']}/roles")).json()] == ["viewer"]
