import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.rbac.models import RoleGrant
from app.core.config import Settings
from app.main import create_app
from tests.factories import create_role, create_user
from tests.identities import bearer, client_for, create_identity


async def test_create_role_shows_effective_permissions(client: httpx.AsyncClient) -> None:
    response = await client.post("/roles", json={"name": "editor", "permissions": {"users": ["create"], "audit": []}})

    assert response.status_code == 201
    assert response.headers["Location"] == f"/roles/{response.json()['id']}"
    assert response.json()["permissions"] == {"audit": ["read"], "users": ["read", "create"]}


@pytest.mark.parametrize(
    "permissions", [{"nonsense": ["read"]}, {"users": ["fly"]}, {"users": "read"}], ids=["module", "action", "shape"]
)
async def test_unknown_module_or_action_is_422(client: httpx.AsyncClient, permissions: object) -> None:
    response = await client.post("/roles", json={"name": "bad", "permissions": permissions})

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


async def test_duplicate_role_name_is_409(client: httpx.AsyncClient) -> None:
    await create_role(client, "dup", {})

    response = await client.post("/roles", json={"name": "dup"})

    assert response.status_code == 409


async def test_role_crud_and_versioning(client: httpx.AsyncClient, session: AsyncSession) -> None:
    role = await create_role(client, "ops", {"users": ["update"]})
    path = f"/roles/{role['id']}"

    patched = await client.patch(path, json={"permissions": {"audit": []}}, headers={"If-Match": '"1"'})
    stale = await client.patch(path, json={"description": "late"}, headers={"If-Match": '"1"'})
    replaced = await client.put(path, json={"name": "ops2"})
    listed = await client.get("/roles")

    assert patched.status_code == 200
    assert patched.json()["permissions"] == {"audit": ["read"]}
    assert patched.json()["version"] == 2
    assert stale.status_code == 412
    assert replaced.json()["permissions"] == {}
    assert replaced.json()["description"] is None
    assert listed.headers["X-Total-Count"] == "1"
    assert (await client.delete(path)).status_code == 204
    assert (await client.get(path)).status_code == 404
    assert await session.scalar(select(func.count()).select_from(RoleGrant)) == 0


async def test_assigning_roles_to_a_user(client: httpx.AsyncClient) -> None:
    user = await create_user(client)
    role = await create_role(client, "viewer-ish", {"users": []})

    response = await client.put(f"/users/{user['id']}/roles", json={"role_ids": [role["id"]]})
    unknown = await client.put(f"/users/{user['id']}/roles", json={"role_ids": [role["id"], 424242]})
    missing_user = await client.put("/users/424242/roles", json={"role_ids": []})

    assert response.status_code == 200
    assert response.json()["roles"] == [{"id": role["id"], "name": "viewer-ish"}]
    assert unknown.status_code == 400
    assert missing_user.status_code == 404


async def test_role_change_applies_on_the_next_request(app: FastAPI, client: httpx.AsyncClient) -> None:
    user_id, token = await create_identity(app, permissions={"audit": []})
    async with client_for(app, token) as caller:
        assert (await caller.get("/users")).status_code == 403
        role = await create_role(client, "readers", {"users": []})
        await client.put(f"/users/{user_id}/roles", json={"role_ids": [role["id"]]})
        assert (await caller.get("/users")).status_code == 200

        await client.patch(f"/roles/{role['id']}", json={"permissions": {"audit": []}})
        assert (await caller.get("/users")).status_code == 403


@pytest.mark.usefixtures("committed")  # another app on the database
async def test_role_change_on_one_instance_applies_on_another(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    other = create_app(settings)
    user_id, token = await create_identity(app, permissions={"audit": []})
    async with other.router.lifespan_context(other), client_for(other, token) as caller_on_other:
        assert (await caller_on_other.get("/users")).status_code == 403
        role = await create_role(client, "readers", {"users": []})

        await client.put(f"/users/{user_id}/roles", json={"role_ids": [role["id"]]})

        assert (await caller_on_other.get("/users")).status_code == 200


async def test_only_superusers_make_superusers(app: FastAPI, anon_client: httpx.AsyncClient) -> None:
    _, manager = await create_identity(app, permissions={"users": ["create", "update"]})
    _, superuser = await create_identity(app, is_superuser=True)
    body = {"email": "boss@example.com", "name": "Boss", "is_superuser": True}

    denied = await anon_client.post("/users", json=body, headers=bearer(manager))
    allowed = await anon_client.post("/users", json=body, headers=bearer(superuser))
    demote = await anon_client.patch(
        f"/users/{allowed.json()['id']}", json={"is_superuser": False}, headers=bearer(manager)
    )

    assert denied.status_code == 403
    assert allowed.status_code == 201
    assert demote.status_code == 403


async def test_no_self_grant_without_roles_update(app: FastAPI, anon_client: httpx.AsyncClient) -> None:
    user_id, token = await create_identity(app, permissions={"users": ["update"], "roles": []})

    response = await anon_client.put(f"/users/{user_id}/roles", json={"role_ids": []}, headers=bearer(token))

    assert response.status_code == 403


async def test_modules_catalogue(client: httpx.AsyncClient) -> None:
    response = await client.get("/rbac/modules")

    modules = {entry["module"]: entry["actions"] for entry in response.json()}
    assert {"users", "roles", "audit"} <= modules.keys()
    assert modules["users"] == ["read", "create", "update", "delete"]


async def test_only_superusers_change_or_delete_a_superuser(app: FastAPI, anon_client: httpx.AsyncClient) -> None:
    superuser_id, _ = await create_identity(app, is_superuser=True)
    _, manager = await create_identity(app, permissions={"users": ["update", "delete"]})

    takeover = await anon_client.patch(
        f"/users/{superuser_id}", json={"password": "hijacked-123"}, headers=bearer(manager)
    )
    deactivate = await anon_client.patch(f"/users/{superuser_id}", json={"is_active": False}, headers=bearer(manager))
    delete = await anon_client.delete(f"/users/{superuser_id}", headers=bearer(manager))

    assert (takeover.status_code, deactivate.status_code, delete.status_code) == (403, 403, 403)
