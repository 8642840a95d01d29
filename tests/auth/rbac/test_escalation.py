"""Escalation attempts: each way a caller could reach more power than it was given is refused.

The seeded roles (`admin`, `manager`, `viewer`) are the starting points an attacker really has.
"""

from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from app.auth.models import AuthSession
from app.auth.rbac.service import RoleService
from app.auth.repository import AuthRepository
from app.auth.tokens import encode_token, new_id
from app.core.database import transaction
from app.core.models import utcnow
from app.modules.users.service import UserService
from app.seeds import ensure_roles
from tests.factories import PASSWORD, unique
from tests.identities import client_for, create_identity, login


async def holder_of(app: FastAPI, *roles: str, **fields: Any) -> tuple[int, str]:
    """A user holding the seeded `roles` (with `PASSWORD`), and an access token for it."""
    async with app.state.session_factory() as session:
        await ensure_roles(session)
        values = {"email": f"{unique('holder')}@example.com", "name": "Holder", "password": PASSWORD, **fields}
        user = await UserService(session).create(values)
        assert user.id is not None
        await RoleService(session).set_user_roles(UserService(session), user.id, names=list(roles))
        auth_session = AuthSession(id=new_id(), user_id=user.id, expires_at=utcnow() + timedelta(days=1))
        async with transaction(session):
            await AuthRepository(session).add_session(auth_session)
    token, _ = encode_token(app.state.settings, user.id, auth_session.id, "access")
    return user.id, token


async def role_id(client: httpx.AsyncClient, name: str) -> int:
    roles = (await client.get("/roles", params={"limit": 100})).json()
    return int(next(role["id"] for role in roles if role["name"] == name))


async def test_a_manager_cannot_take_over_an_admin(app: FastAPI) -> None:
    admin_id, _ = await holder_of(app, "admin")
    manager_id, token = await holder_of(app, "manager")
    async with client_for(app, token) as manager:
        password = await manager.patch(f"/users/{admin_id}", json={"password": "taken-over-now"})
        email = await manager.patch(f"/users/{admin_id}", json={"email": "mine@example.com"})
        deactivate = await manager.patch(f"/users/{admin_id}", json={"is_active": False})
        delete = await manager.delete(f"/users/{admin_id}")
        promote_self = await manager.put(f"/users/{manager_id}/roles", json={"roles": ["admin"]})

    assert [r.status_code for r in (password, email, deactivate, delete, promote_self)] == [403] * 5
    assert password.json()["message"] == (
        "missing audit:create, audit:delete, audit:update, roles:create, roles:delete, roles:read, roles:update"
    )
    stolen_login = await login(app, "mine@example.com", "taken-over-now")
    assert stolen_login.status_code == 401


async def test_a_manager_still_manages_those_below_it(app: FastAPI) -> None:
    viewer_id, _ = await holder_of(app, "viewer")
    _, token = await holder_of(app, "manager")
    async with client_for(app, token) as manager:
        password = await manager.patch(f"/users/{viewer_id}", json={"password": "reset-by-manager"})
        deactivate = await manager.patch(f"/users/{viewer_id}", json={"is_active": False})

    assert (password.status_code, deactivate.status_code) == (200, 200)


async def test_nobody_sets_their_own_password_through_users(app: FastAPI) -> None:
    user_id, token = await holder_of(app, "manager", email="self@example.com")
    async with client_for(app, token) as manager:
        response = await manager.patch(f"/users/{user_id}", json={"password": "no-current-needed"})
        rename = await manager.patch(f"/users/{user_id}", json={"name": "Renamed"})

    assert response.status_code == 403
    assert "/auth/change-password" in response.json()["message"]
    assert rename.status_code == 200
    assert (await login(app, "self@example.com", "no-current-needed")).status_code == 401
    assert (await login(app, "self@example.com", PASSWORD)).status_code == 200


async def test_roles_update_alone_is_not_admin(app: FastAPI, client: httpx.AsyncClient) -> None:
    """Its holder can neither widen its own role, nor hand itself or an accomplice a stronger one."""
    await holder_of(app, "viewer")  # the seeded roles exist from here on
    caller_id, token = await create_identity(app, permissions={"roles": ["update"]})
    [own_role] = (await client.get(f"/users/{caller_id}/roles")).json()
    accomplice = (await client.post("/users", json={"email": "acc@example.com", "name": "Acc"})).json()
    admin_role = await role_id(client, "admin")
    async with client_for(app, token) as caller:
        widen = await caller.patch(f"/roles/{own_role['id']}", json={"permissions": {"roles": ["update"], "audit": []}})
        self_grant = await caller.put(f"/users/{caller_id}/roles", json={"role_ids": [own_role["id"], admin_role]})
        accomplice_grant = await caller.put(f"/users/{accomplice['id']}/roles", json={"role_ids": [admin_role]})
        rename_admin = await caller.patch(f"/roles/{admin_role}", json={"name": "renamed"})
        strip_admin = await caller.patch(f"/roles/{admin_role}", json={"permissions": {}})

    assert widen.status_code == 403
    assert widen.json()["message"] == "missing audit:read"
    assert self_grant.status_code == 403
    assert self_grant.json()["message"] == "A user cannot change their own roles"
    assert accomplice_grant.status_code == 403
    assert accomplice_grant.json()["message"].startswith("missing audit:create")
    assert (rename_admin.status_code, strip_admin.status_code) == (403, 403)
    assert (await client.get(f"/users/{accomplice['id']}/roles")).json() == []
    assert (await client.get(f"/roles/{admin_role}")).json()["name"] == "admin"


async def test_a_role_creator_grants_only_what_it_holds(app: FastAPI) -> None:
    _, token = await create_identity(app, permissions={"roles": ["create"], "posts": ["update:own"]})
    async with client_for(app, token) as caller:
        wider = await caller.post("/roles", json={"name": "editors", "permissions": {"posts": ["update"]}})
        same = await caller.post("/roles", json={"name": "authors", "permissions": {"posts": ["update:own"]}})
        other_module = await caller.post("/roles", json={"name": "shop", "permissions": {"products": []}})

    assert wider.status_code == 403
    assert wider.json()["message"] == "missing posts:update"
    assert same.status_code == 201
    assert other_module.json()["message"] == "missing products:read"


async def test_an_unscoped_holder_may_grant_the_scoped_action(app: FastAPI) -> None:
    _, token = await create_identity(app, permissions={"roles": ["create"], "posts": ["update"]})
    async with client_for(app, token) as caller:
        response = await caller.post("/roles", json={"name": "authors", "permissions": {"posts": ["update:own"]}})

    assert response.status_code == 201


async def test_nobody_unassigns_or_deletes_a_role_above_them(app: FastAPI, client: httpx.AsyncClient) -> None:
    admin_id, _ = await holder_of(app, "admin")
    viewer_id, _ = await holder_of(app, "viewer", "admin")
    _, token = await create_identity(app, permissions={"roles": ["update", "delete"], "users": []})
    admin_role = await role_id(client, "admin")
    async with client_for(app, token) as caller:
        unassign_admin = await caller.put(f"/users/{admin_id}/roles", json={"role_ids": []})
        unassign_from_other = await caller.put(f"/users/{viewer_id}/roles", json={"roles": ["viewer"]})
        delete_admin_role = await caller.delete(f"/roles/{admin_role}")

    assert [unassign_admin.status_code, unassign_from_other.status_code, delete_admin_role.status_code] == [403] * 3
    assert [role["name"] for role in (await client.get(f"/users/{admin_id}/roles")).json()] == ["admin"]


async def test_a_superuser_is_out_of_reach_of_everyone_else(app: FastAPI) -> None:
    superuser_id, _ = await create_identity(app, is_superuser=True)
    _, token = await holder_of(app, "admin")
    async with client_for(app, token) as admin:
        roles = await admin.put(f"/users/{superuser_id}/roles", json={"roles": ["viewer"]})
        password = await admin.patch(f"/users/{superuser_id}", json={"password": "taken-over-now"})
        delete = await admin.delete(f"/users/{superuser_id}")

    assert [roles.status_code, password.status_code, delete.status_code] == [403, 403, 403]


async def test_the_worked_example_of_the_rbac_guide(app: FastAPI, client: httpx.AsyncClient) -> None:
    support = {"users": ["update"], "roles": ["update"], "posts": [], "products": [], "tasks": [], "customers": []}
    alice_id, token = await create_identity(app, permissions=support)
    [alice_role] = (await client.get(f"/users/{alice_id}/roles")).json()
    bob_id, _ = await holder_of(app, "viewer")
    carol_id, _ = await holder_of(app, "manager")
    dave = await client.post("/users", json={"email": "dave@example.com", "name": "Dave"})
    widened = {**support, "audit": []}
    async with client_for(app, token) as alice:
        answers = [
            await alice.patch(f"/users/{bob_id}", json={"password": "reset-by-support"}),
            await alice.put(f"/users/{dave.json()['id']}/roles", json={"roles": ["viewer"]}),
            await alice.patch(f"/users/{carol_id}", json={"is_active": False}),
            await alice.put(f"/users/{bob_id}/roles", json={"roles": ["viewer", "manager"]}),
            await alice.patch(f"/roles/{alice_role['id']}", json={"permissions": widened}),
            await alice.put(f"/users/{alice_id}/roles", json={"roles": []}),
            await alice.patch(f"/users/{alice_id}", json={"password": "no-current-needed"}),
        ]

    assert [answer.status_code for answer in answers] == [200, 200, 403, 403, 403, 403, 403]
    assert answers[2].json()["message"].startswith("missing audit:read, customers:create")
    assert answers[3].json()["message"].startswith("missing audit:read, customers:create")
    assert answers[4].json()["message"] == "missing audit:read"
    assert "/auth/change-password" in answers[6].json()["message"]
