"""Creating, listing and revoking API keys: the caller's own, and a user's for an admin."""

import hashlib
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.auth.api_keys.models import ApiKey
from app.core.models import utcnow
from tests.identities import bearer, client_for, create_api_key, create_identity

FIELDS = {"id", "name", "prefix", "permissions", "expires_at", "created_at", "last_used_at"}


async def stored_keys(app: FastAPI) -> list[ApiKey]:
    async with app.state.session_factory() as session:
        return list((await session.scalars(select(ApiKey))).all())


async def test_create_shows_the_key_once_and_stores_only_its_hash(app: FastAPI) -> None:
    _, token = await create_identity(app, permissions={"products": ["create"]})
    expires_at = (utcnow() + timedelta(days=30)).replace(microsecond=0)

    async with client_for(app, token) as http:
        response = await http.post(
            "/auth/api-keys",
            json={"name": "nightly", "permissions": {"products": ["create"]}, "expires_at": expires_at.isoformat()},
        )
        created = response.json()
        listed = await http.get("/auth/api-keys")
        one = await http.get(response.headers["Location"])

    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"/auth/api-keys/{created['id']}"
    assert response.headers["Cache-Control"] == "no-store"
    assert set(created) == FIELDS | {"key"}
    key = created["key"]
    assert key.startswith(created["prefix"] + "_")
    assert created["prefix"].startswith("ak_")
    assert len(key) - len(created["prefix"]) - 1 >= 43  # 32 random bytes, base64url
    assert created["permissions"] == {"products": ["read", "create"]}  # implicit read, as for a role
    assert created["expires_at"].startswith(expires_at.isoformat()[:19])
    assert created["last_used_at"] is None
    assert listed.status_code == 200
    assert listed.headers["X-Total-Count"] == "1"
    assert [set(item) for item in listed.json()] == [FIELDS]
    assert key not in listed.text
    assert one.status_code == 200
    assert one.json() == {field: created[field] for field in FIELDS}
    [row] = await stored_keys(app)
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in repr(row.model_dump())


async def test_omitted_permissions_are_null_meaning_all_of_the_owners(app: FastAPI) -> None:
    _, token = await create_identity(app, permissions={"products": ["read"]})

    created = await create_api_key(app, token)

    assert created["permissions"] is None
    assert created["expires_at"] is None


async def test_two_keys_differ_in_prefix_and_secret(app: FastAPI) -> None:
    _, token = await create_identity(app)

    first, second = await create_api_key(app, token), await create_api_key(app, token)

    assert first["prefix"] != second["prefix"]
    assert first["key"].split("_")[-1] != second["key"].split("_")[-1]


async def test_invalid_bodies_are_422(app: FastAPI) -> None:
    _, token = await create_identity(app, permissions={"products": ["read"]})
    past = (utcnow() - timedelta(minutes=1)).isoformat()
    bodies = [
        {},
        {"name": ""},
        {"name": "x" * 101},
        {"name": "k", "permissions": {"nope": ["read"]}},
        {"name": "k", "permissions": {"products": ["fly"]}},
        {"name": "k", "expires_at": past},
        {"name": "k", "expires_at": "soon"},
        {"name": "k", "secret": "mine"},
    ]
    async with client_for(app, token) as http:
        for body in bodies:
            response = await http.post("/auth/api-keys", json=body)
            assert response.status_code == 422, f"{body}: {response.text}"
    assert await stored_keys(app) == []


async def test_a_key_cannot_be_given_more_than_its_owner_holds(app: FastAPI) -> None:
    _, token = await create_identity(app, permissions={"products": ["read"]})

    async with client_for(app, token) as http:
        response = await http.post("/auth/api-keys", json={"name": "k", "permissions": {"products": ["delete"]}})

    assert response.status_code == 403
    assert response.json()["message"] == "missing products:delete"
    assert await stored_keys(app) == []


async def test_each_user_sees_and_revokes_only_their_own_keys(app: FastAPI) -> None:
    _, mine = await create_identity(app, permissions={"products": ["read"]})
    _, theirs = await create_identity(app, permissions={"products": ["read"]})
    my_key = await create_api_key(app, mine)
    their_key = await create_api_key(app, theirs)

    async with client_for(app, mine) as http:
        listed = await http.get("/auth/api-keys")
        other = await http.get(f"/auth/api-keys/{their_key['id']}")
        revoke_other = await http.delete(f"/auth/api-keys/{their_key['id']}")
        revoke_mine = await http.delete(f"/auth/api-keys/{my_key['id']}")
        again = await http.delete(f"/auth/api-keys/{my_key['id']}")
        after = await http.get("/auth/api-keys")

    assert [key["id"] for key in listed.json()] == [my_key["id"]]
    assert other.status_code == 404
    assert revoke_other.status_code == 404
    assert revoke_mine.status_code == 204
    assert again.status_code == 404
    assert after.json() == []
    async with client_for(app) as http:
        assert (await http.get("/products", headers=bearer(my_key["key"]))).status_code == 401
        assert (await http.get("/products", headers=bearer(their_key["key"]))).status_code == 200


async def test_a_key_cannot_manage_keys_change_passwords_or_log_out(app: FastAPI) -> None:
    owner_id, token = await create_identity(app, permissions={"users": ["read", "create", "update", "delete"]})
    created = await create_api_key(app, token)
    calls = [
        ("POST", "/auth/api-keys", {"name": "another"}),
        ("GET", "/auth/api-keys", None),
        ("GET", f"/auth/api-keys/{created['id']}", None),
        ("DELETE", f"/auth/api-keys/{created['id']}", None),
        ("GET", f"/users/{owner_id}/api-keys", None),
        ("DELETE", f"/users/{owner_id}/api-keys/{created['id']}", None),
        ("POST", "/auth/change-password", {"current_password": "whatever", "new_password": "new-password-1"}),
        ("POST", "/auth/logout", None),
        ("POST", "/auth/logout-all", None),
    ]

    async with client_for(app, created["key"]) as http:
        for method, path, body in calls:
            response = await http.request(method, path, json=body)
            assert response.status_code == 403, f"{method} {path}: {response.text}"
        me = await http.get("/auth/me")

    assert me.status_code == 200
    assert len(await stored_keys(app)) == 1


async def test_an_admin_lists_and_revokes_a_users_keys(app: FastAPI) -> None:
    owner_id, owner = await create_identity(app, permissions={"products": ["read"]})
    _, admin = await create_identity(app, permissions={"users": ["update"], "products": ["read"]})
    created = await create_api_key(app, owner)

    async with client_for(app, admin) as http:
        listed = await http.get(f"/users/{owner_id}/api-keys")
        unknown_user = await http.get("/users/999999/api-keys")
        wrong_owner = await http.delete(f"/users/{owner_id + 1000}/api-keys/{created['id']}")
        revoked = await http.delete(f"/users/{owner_id}/api-keys/{created['id']}")

    assert listed.status_code == 200
    assert [key["id"] for key in listed.json()] == [created["id"]]
    assert "key" not in listed.json()[0]
    assert unknown_user.status_code == 404
    assert wrong_owner.status_code == 404
    assert revoked.status_code == 204
    async with client_for(app, created["key"]) as http:
        assert (await http.get("/products")).status_code == 401


async def test_an_admin_cannot_act_on_the_keys_of_someone_more_powerful(app: FastAPI) -> None:
    stronger_id, stronger = await create_identity(app, permissions={"products": ["delete"]})
    superuser_id, superuser = await create_identity(app, is_superuser=True)
    _, admin = await create_identity(app, permissions={"users": ["update"]})
    stronger_key = await create_api_key(app, stronger)
    superuser_key = await create_api_key(app, superuser)

    async with client_for(app, admin) as http:
        listed = await http.get(f"/users/{stronger_id}/api-keys")
        revoked = await http.delete(f"/users/{stronger_id}/api-keys/{stronger_key['id']}")
        of_superuser = await http.delete(f"/users/{superuser_id}/api-keys/{superuser_key['id']}")

    assert listed.status_code == 403
    assert "missing products:delete" in listed.json()["message"]
    assert revoked.status_code == 403
    assert of_superuser.status_code == 403
    assert len(await stored_keys(app)) == 2


async def test_a_superuser_revokes_anyones_key(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner_id, owner = await create_identity(app, permissions={"products": ["delete"]})
    created = await create_api_key(app, owner)

    response = await client.delete(f"/users/{owner_id}/api-keys/{created['id']}")

    assert response.status_code == 204
    assert await stored_keys(app) == []


async def test_deleting_a_user_deletes_their_keys(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await create_identity(app, permissions={"products": ["read"]})
    owner_id, owner = await create_identity(app, permissions={"products": ["read"]})
    kept = await create_api_key(app, token)
    gone = await create_api_key(app, owner)

    response = await client.delete(f"/users/{owner_id}")

    assert response.status_code == 204
    assert [key.id for key in await stored_keys(app)] == [kept["id"]]
    async with client_for(app) as http:
        assert (await http.get("/products", headers=bearer(gone["key"]))).status_code == 401
