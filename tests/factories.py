"""Factories that create resources through the API, with unique defaults."""

import itertools
from typing import Any

import httpx

_sequence = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_sequence)}"


async def create_user(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    body = {"email": f"{unique('user')}@example.com", "name": unique("Name"), **overrides}
    response = await client.post("/users", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


PASSWORD = "correct-horse-battery"


async def create_login_user(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    """A user with a known password (`PASSWORD`)."""
    return await create_user(client, password=PASSWORD, **overrides)


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await client.post("/auth/login", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens
