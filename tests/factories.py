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
