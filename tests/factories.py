"""Factories that create resources through the API, with unique defaults.

`insert_user` writes straight to the database, for rows the API cannot make (back-dated ones).
"""

import itertools
from typing import Any

import httpx
from fastapi import FastAPI

from app.modules.users.models import User

_sequence = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_sequence)}"


async def create_user(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    body = {"email": f"{unique('user')}@example.com", "name": unique("Name"), **overrides}
    response = await client.post("/users", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def create_users(client: httpx.AsyncClient, count: int, **overrides: Any) -> list[dict[str, Any]]:
    return [await create_user(client, **overrides) for _ in range(count)]


async def insert_user(app: FastAPI, **fields: Any) -> User:
    values = {"email": f"{unique('row')}@example.com", "name": unique("Row"), **fields}
    async with app.state.session_factory() as session:
        user = User(**values)
        session.add(user)
        await session.commit()
    return user
