"""Customers: case-insensitive unique emails, filters, sorts, and what deleting one does to
its tasks. The shared contract (401, 403, 404, 412, ETags, pagination) is in
tests/modules/test_crud_contract.py."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from app.modules.tasks.models import Task
from tests.database import rows
from tests.factories import create_customer, create_task


async def test_create_stores_the_email_lower_cased(client: httpx.AsyncClient) -> None:
    response = await client.post("/customers", json={"name": "Ada", "email": "Ada@Example.COM", "company": "Acme"})

    assert response.status_code == 201
    body = response.json()
    assert (body["email"], body["company"], body["phone"], body["notes"]) == ("ada@example.com", "Acme", None, None)


async def test_duplicate_email_is_409_whatever_its_case(client: httpx.AsyncClient) -> None:
    first = await create_customer(client, email="ada@example.com")
    other = await create_customer(client)

    created = await client.post("/customers", json={"name": "Again", "email": "ADA@example.com"})
    patched = await client.patch(f"/customers/{other['id']}", json={"email": "Ada@Example.com"})
    own = await client.put(f"/customers/{first['id']}", json={"name": "Ada L.", "email": "ADA@EXAMPLE.COM"})

    assert (created.status_code, created.json()["code"]) == (409, "conflict")
    assert patched.status_code == 409
    assert own.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"name": "No email"},
        {"email": "no-name@example.com"},
        {"name": "Bad email", "email": "not-an-email"},
        {"name": "", "email": "empty@example.com"},
        {"name": "Long phone", "email": "phone@example.com", "phone": "1" * 33},
    ],
)
async def test_invalid_body_is_422(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    assert (await client.post("/customers", json=body)).status_code == 422


async def test_put_clears_optional_fields_and_patch_changes_only_given_ones(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client, phone="+1 555", company="Acme", notes="VIP")
    item = f"/customers/{customer['id']}"

    patched = await client.patch(item, json={"company": "Globex"})
    cleared = await client.patch(item, json={"notes": None})
    null_email = await client.patch(item, json={"email": None})
    replaced = await client.put(item, json={"name": "Replaced", "email": customer["email"]})

    assert (patched.json()["company"], patched.json()["phone"], patched.json()["notes"]) == ("Globex", "+1 555", "VIP")
    assert cleared.json()["notes"] is None
    assert null_email.status_code == 422
    assert (replaced.json()["phone"], replaced.json()["company"], replaced.json()["notes"]) == (None, None, None)


async def test_filters_by_text_and_company(client: httpx.AsyncClient) -> None:
    ada = await create_customer(client, name="Ada Lovelace", email="ada@engines.example", company="Analytical Ltd")
    bob = await create_customer(client, name="Bob", email="bob@lovelace.example", company="Acme")
    cy = await create_customer(client, name="Cy", email="cy@example.com", company="ACME Europe")

    async def ids(**params: Any) -> list[int]:
        response = await client.get("/customers", params={"sort": "id", **params})
        assert response.status_code == 200, response.text
        return [customer["id"] for customer in response.json()]

    assert await ids(q="LOVELACE") == [ada["id"], bob["id"]]  # name or email, any case
    assert await ids(q="engines") == [ada["id"]]
    assert await ids(company="acme") == [bob["id"], cy["id"]]  # part of the company, any case
    assert await ids(company="acme", q="cy") == [cy["id"]]
    assert await ids(company="Initech") == []


async def test_search_takes_percent_and_underscore_literally(client: httpx.AsyncClient) -> None:
    underscored = await create_customer(client, name="snake_case")
    await create_customer(client, name="snakeXcase")
    percent = await create_customer(client, name="Fifty", company="100% Corp")
    await create_customer(client, name="Hundred", company="1000 Corp")

    assert [c["id"] for c in (await client.get("/customers", params={"q": "e_c"})).json()] == [underscored["id"]]
    assert [c["id"] for c in (await client.get("/customers", params={"company": "0%"})).json()] == [percent["id"]]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [("name", ["a", "b", "c"]), ("-email", ["a", "c", "b"]), ("company,-name", ["c", "b", "a"])],
)
async def test_sorts(client: httpx.AsyncClient, sort: str, expected: list[str]) -> None:
    await create_customer(client, name="a", email="z@example.com", company="Y")
    await create_customer(client, name="b", email="x@example.com", company="X")
    await create_customer(client, name="c", email="y@example.com", company="X")

    response = await client.get("/customers", params={"sort": sort})

    assert [customer["name"] for customer in response.json()] == expected


async def test_delete_keeps_its_tasks_without_a_customer(app: FastAPI, client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    other = await create_customer(client)
    tasks = [await create_task(client, customer_id=customer["id"]) for _ in range(2)]
    kept = await create_task(client, customer_id=other["id"])

    assert (await client.delete(f"/customers/{customer['id']}")).status_code == 204

    stored = await rows(app, select(col(Task.id), col(Task.customer_id), col(Task.version)).order_by(col(Task.id)))
    # version 2: each task was changed through the ORM (audited), not by the foreign key's SET NULL.
    assert stored == [(tasks[0]["id"], None, 2), (tasks[1]["id"], None, 2), (kept["id"], other["id"], 1)]
