"""Factories that create resources through the API, with unique defaults.

`insert_user` writes straight to the database, for rows the API cannot make (back-dated ones);
`insert_users` many at once, for tests of reading them back (a request each costs milliseconds).
"""

import itertools
from typing import Any

import httpx
from fastapi import FastAPI

from app.auth.accounts import User
from app.core.database import transaction

_sequence = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_sequence)}"


async def _create(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def create_role(client: httpx.AsyncClient, name: str, permissions: dict[str, list[str]]) -> dict[str, Any]:
    return await _create(client, "/roles", {"name": name, "description": "d", "permissions": permissions})


async def create_user(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    return await _create(
        client, "/users", {"email": f"{unique('user')}@example.com", "name": unique("Name"), **overrides}
    )


async def create_post(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    return await _create(client, "/posts", {"title": unique("Title "), "content": "Some content", **overrides})


async def create_product(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    return await _create(
        client, "/products", {"sku": unique("SKU-"), "name": unique("Product "), "price": "9.99", **overrides}
    )


async def create_customer(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    body = {"name": unique("Customer "), "email": f"{unique('customer')}@example.com", **overrides}
    return await _create(client, "/customers", body)


async def create_task(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    return await _create(client, "/tasks", {"title": unique("Task "), **overrides})


PASSWORD = "correct-horse-battery"


async def create_login_user(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    """A user with a known password (`PASSWORD`)."""
    return await create_user(client, password=PASSWORD, **overrides)


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await client.post("/auth/login", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


async def insert_users(app: FastAPI, count: int) -> list[int]:
    """The ids of `count` new users, written in one commit, in ascending order."""
    users = [User(email=f"{unique('row')}@example.com", name=unique("Row")) for _ in range(count)]
    async with app.state.session_factory() as session, transaction(session):
        session.add_all(users)
    ids = [user.id for user in users if user.id is not None]
    assert len(ids) == count
    assert ids == sorted(ids)
    return ids


async def insert_user(app: FastAPI, **fields: Any) -> User:
    values = {"email": f"{unique('row')}@example.com", "name": unique("Row"), **fields}
    async with app.state.session_factory() as session:
        user = User(**values)
        session.add(user)
        await session.commit()
    return user
