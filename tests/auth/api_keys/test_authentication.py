"""Presenting an API key: where it goes, what it may do, and when it stops working."""

import asyncio
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from app.core.models import utcnow
from tests.factories import create_product
from tests.fixtures import running_app
from tests.identities import bearer, client_for, create_api_key, create_identity
from tests.waiting import eventually


async def status_of(app: FastAPI, method: str, path: str, headers: dict[str, str], **kwargs: object) -> int:
    async with client_for(app) as http:
        return (await http.request(method, path, headers=headers, **kwargs)).status_code  # type: ignore[arg-type]  # httpx's keyword types


async def test_a_key_works_as_a_bearer_token_and_in_x_api_key(app: FastAPI) -> None:
    _, token = await create_identity(app, permissions={"products": ["read"]})
    key = (await create_api_key(app, token))["key"]

    assert await status_of(app, "GET", "/products", bearer(key)) == 200
    assert await status_of(app, "GET", "/products", {"X-API-Key": key}) == 200


@pytest.mark.parametrize(
    "headers",
    [
        {b"X-API-Key": b"ak_"},
        {b"X-API-Key": b"ak_0123456789ab_" + b"A" * 43},
        {b"X-API-Key": b"not-a-key"},
        {b"Authorization": b"Bearer ak_0123456789ab"},
        {b"Authorization": b"Bearer ak_0123456789ab_" + "é".encode("latin-1") * 43},
    ],
)
async def test_unknown_or_malformed_keys_are_401(app: FastAPI, headers: dict[bytes, bytes]) -> None:
    async with client_for(app) as http:
        response = await http.get("/products", headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["code"] == "unauthorized"


async def test_the_right_prefix_with_a_wrong_secret_is_401(app: FastAPI) -> None:
    _, token = await create_identity(app, permissions={"products": ["read"]})
    key = (await create_api_key(app, token))["key"]
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")

    assert await status_of(app, "GET", "/products", bearer(key)) == 200
    assert await status_of(app, "GET", "/products", bearer(forged)) == 401
    assert await status_of(app, "GET", "/products", {"X-API-Key": forged}) == 401


async def test_an_access_token_in_x_api_key_is_401(app: FastAPI) -> None:
    _, token = await create_identity(app, permissions={"products": ["read"]})

    assert await status_of(app, "GET", "/products", {"X-API-Key": token}) == 401


async def test_a_key_is_refused_once_it_expires_even_if_verified_before(app: FastAPI) -> None:
    _, token = await create_identity(app, permissions={"products": ["read"]})
    expires_at = utcnow() + timedelta(seconds=1.5)
    key = (await create_api_key(app, token, expires_at=expires_at.isoformat()))["key"]
    assert await status_of(app, "GET", "/products", bearer(key)) == 200

    await asyncio.sleep((expires_at - utcnow()).total_seconds() + 0.1)

    assert await status_of(app, "GET", "/products", bearer(key)) == 401


async def test_a_key_of_an_inactive_owner_is_401(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner_id, token = await create_identity(app, permissions={"products": ["read"]})
    key = (await create_api_key(app, token))["key"]
    assert await status_of(app, "GET", "/products", bearer(key)) == 200

    assert (await client.patch(f"/users/{owner_id}", json={"is_active": False})).status_code == 200

    assert await status_of(app, "GET", "/products", bearer(key)) == 401


async def test_a_key_holds_its_permissions_within_the_owners_current_ones(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner_id, token = await create_identity(app, permissions={"products": ["create", "update"]})
    key = (await create_api_key(app, token, permissions={"products": ["create"]}))["key"]
    product = await create_product(client)
    body = {"sku": "KEY-1", "name": "By key", "price": "1.00"}

    assert await status_of(app, "POST", "/products", bearer(key), json=body) == 201
    assert await status_of(app, "PATCH", f"/products/{product['id']}", bearer(key), json={"name": "x"}) == 403

    # The owner loses `create`: the key loses it at the next request, without a new key.
    role = (await client.post("/roles", json={"name": "readers", "permissions": {"products": []}})).json()
    assert (await client.put(f"/users/{owner_id}/roles", json={"role_ids": [role["id"]]})).status_code == 200
    body["sku"] = "KEY-2"
    assert await status_of(app, "POST", "/products", bearer(key), json=body) == 403
    assert await status_of(app, "GET", "/products", bearer(key)) == 200


async def test_a_key_without_permissions_follows_its_owner(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner_id, token = await create_identity(app, permissions={"products": ["read"]})
    key = (await create_api_key(app, token))["key"]
    assert await status_of(app, "GET", "/customers", bearer(key)) == 403

    role = (await client.post("/roles", json={"name": "customers", "permissions": {"customers": []}})).json()
    assert (await client.put(f"/users/{owner_id}/roles", json={"role_ids": [role["id"]]})).status_code == 200

    assert await status_of(app, "GET", "/customers", bearer(key)) == 200
    assert await status_of(app, "GET", "/products", bearer(key)) == 403


async def test_a_superusers_scoped_key_is_no_superuser(app: FastAPI) -> None:
    _, token = await create_identity(app, is_superuser=True)
    scoped = (await create_api_key(app, token, permissions={"products": []}))["key"]
    unscoped = (await create_api_key(app, token))["key"]

    assert await status_of(app, "GET", "/products", bearer(scoped)) == 200
    assert await status_of(app, "GET", "/users", bearer(scoped)) == 403
    assert await status_of(app, "POST", "/users", bearer(scoped), json={"email": "a@example.com", "name": "A"}) == 403
    assert await status_of(app, "GET", "/users", bearer(unscoped)) == 200
    async with client_for(app, scoped) as http:
        me = (await http.get("/auth/me")).json()
    assert me["permissions"] == ["products:read"]


@pytest.mark.usefixtures("committed")  # another app on the database
async def test_revocation_is_effective_at_the_next_request_in_every_process(app: FastAPI) -> None:
    _, token = await create_identity(app, permissions={"products": ["read"]})
    created = await create_api_key(app, token)
    async with running_app(app.state.settings) as other, client_for(other, created["key"]) as elsewhere:
        assert (await elsewhere.get("/products")).status_code == 200  # verified, and cached there with Redis
        assert (await elsewhere.get("/products")).status_code == 200

        async with client_for(app, token) as http:
            assert (await http.delete(f"/auth/api-keys/{created['id']}")).status_code == 204

        async def refused() -> bool:
            return (await elsewhere.get("/products")).status_code == 401

        # The other process learns of the change by Redis pub/sub: within moments, not a TTL.
        await eventually(refused, seconds=2)
        assert await status_of(app, "GET", "/products", bearer(created["key"])) == 401


async def test_a_keys_unscoped_grant_narrows_to_own_rows_with_its_owner(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner_id, token = await create_identity(app, permissions={"posts": ["update"]})
    key = (await create_api_key(app, token, permissions={"posts": ["update"]}))["key"]
    own = (await client.post("/posts", json={"title": "Mine", "content": "c", "user_id": owner_id})).json()
    other = (await client.post("/posts", json={"title": "Theirs", "content": "c"})).json()
    assert await status_of(app, "PATCH", f"/posts/{other['id']}", bearer(key), json={"title": "x"}) == 200

    role = (await client.post("/roles", json={"name": "own-posts", "permissions": {"posts": ["update:own"]}})).json()
    assert (await client.put(f"/users/{owner_id}/roles", json={"role_ids": [role["id"]]})).status_code == 200

    assert await status_of(app, "PATCH", f"/posts/{own['id']}", bearer(key), json={"title": "y"}) == 200
    assert await status_of(app, "PATCH", f"/posts/{other['id']}", bearer(key), json={"title": "z"}) == 403
