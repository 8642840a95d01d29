"""Strict JSON: booleans and integers only as JSON booleans and integers, dates only as ISO 8601 text."""

import httpx
import pytest

from tests.factories import create_user


@pytest.mark.parametrize("value", [0, 1, "true", "false", 1.0, None])
async def test_a_boolean_field_takes_only_a_json_boolean(client: httpx.AsyncClient, value: object) -> None:
    response = await client.post("/users", json={"email": "strict@example.com", "name": "Strict", "is_active": value})

    assert response.status_code == 422
    assert response.json()["details"][0]["loc"] == ["body", "is_active"]


async def test_is_superuser_zero_is_refused_on_create_and_patch(client: httpx.AsyncClient) -> None:
    user = await create_user(client)

    created = await client.post("/users", json={"email": "zero@example.com", "name": "Zero", "is_superuser": 0})
    patched = await client.patch(f"/users/{user['id']}", json={"is_superuser": 0})

    assert created.status_code == patched.status_code == 422


@pytest.mark.parametrize("value", [1.0, "3", True, 2.5])
async def test_an_integer_field_takes_only_a_json_integer(client: httpx.AsyncClient, value: object) -> None:
    response = await client.post(
        "/products", json={"sku": "STRICT-1", "name": "Strict", "price": "1.00", "stock": value}
    )

    assert response.status_code == 422
    assert response.json()["details"][0]["loc"] == ["body", "stock"]


async def test_an_id_in_a_body_takes_only_a_json_integer(client: httpx.AsyncClient) -> None:
    user = await create_user(client)

    response = await client.post("/tasks", json={"title": "Strict", "assignee_id": float(user["id"])})

    assert response.status_code == 422


@pytest.mark.parametrize("price", ["19.90", 19.9, 20])
async def test_decimals_keep_accepting_a_number_or_a_string(client: httpx.AsyncClient, price: object) -> None:
    response = await client.post(
        "/products", json={"sku": f"DEC-{price}", "name": "Decimal", "price": price, "stock": 3}
    )

    assert response.status_code == 201, response.text
    assert response.json()["stock"] == 3


@pytest.mark.parametrize("due_date", [20240501, 1714521600.5, "1714521600", True])
async def test_a_date_in_a_body_is_iso_text_only(client: httpx.AsyncClient, due_date: object) -> None:
    response = await client.post("/tasks", json={"title": "Dated", "due_date": due_date})

    assert response.status_code == 422
    assert response.json()["details"][0]["loc"] == ["body", "due_date"]


async def test_an_iso_date_in_a_body_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post("/tasks", json={"title": "Dated", "due_date": "2024-05-01"})

    assert response.status_code == 201
    assert response.json()["due_date"] == "2024-05-01"


@pytest.mark.parametrize(
    ("path", "name"),
    [("/users/search", "created_after"), ("/audit/changes", "since"), ("/tasks", "due_before")],
)
@pytest.mark.parametrize("value", ["0.5", "1700000000", "-1"])
async def test_a_date_in_a_query_is_iso_text_only(client: httpx.AsyncClient, path: str, name: str, value: str) -> None:
    response = await client.get(path, params={name: value})

    assert response.status_code == 422
    assert response.json()["details"][0]["loc"] == ["query", name]


@pytest.mark.parametrize(
    ("path", "name", "value"),
    [
        ("/users/search", "created_after", "2024-01-01"),
        ("/audit/changes", "since", "2024-01-01T00:00:00Z"),
        ("/tasks", "due_before", "2024-05-01"),
    ],
)
async def test_an_iso_date_in_a_query_is_accepted(client: httpx.AsyncClient, path: str, name: str, value: str) -> None:
    assert (await client.get(path, params={name: value})).status_code == 200


async def test_ids_in_a_list_take_only_json_integers(client: httpx.AsyncClient) -> None:
    user = await create_user(client)

    response = await client.put(f"/users/{user['id']}/roles", json={"role_ids": [1.0]})

    assert response.status_code == 422
    assert response.json()["details"][0]["loc"] == ["body", "role_ids", 0]
