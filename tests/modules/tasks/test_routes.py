"""Tasks: enum validation, references to users and customers, filters and ranked sorts.
The shared contract (401, 403, 404, 412, ETags, pagination) is in
tests/modules/test_crud_contract.py."""

from typing import Any

import httpx
import pytest

from tests.factories import create_customer, create_task, create_user


async def test_create_defaults_to_todo_and_medium(client: httpx.AsyncClient) -> None:
    response = await client.post("/tasks", json={"title": "Write docs"})

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["priority"]) == ("todo", "medium")
    assert (body["description"], body["due_date"], body["assignee_id"], body["customer_id"]) == (None,) * 4


async def test_create_with_every_field(client: httpx.AsyncClient) -> None:
    user, customer = await create_user(client), await create_customer(client)
    body = {
        "title": "Call back",
        "description": "About the invoice",
        "status": "in_progress",
        "priority": "high",
        "due_date": "2030-01-31",
        "assignee_id": user["id"],
        "customer_id": customer["id"],
    }

    response = await client.post("/tasks", json=body)

    assert response.status_code == 201, response.text
    assert {key: response.json()[key] for key in body} == body


@pytest.mark.parametrize(
    "body",
    [
        {"title": "Bad status", "status": "blocked"},
        {"title": "Bad priority", "priority": "urgent"},
        {"title": "Bad date", "due_date": "31/01/2030"},
        {"title": "Bad assignee", "assignee_id": "someone"},
        {"title": ""},
        {"description": "No title"},
    ],
)
async def test_invalid_body_is_422(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    response = await client.post("/tasks", json=body)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


async def test_missing_assignee_or_customer_is_400(client: httpx.AsyncClient) -> None:
    task = await create_task(client)
    item = f"/tasks/{task['id']}"

    responses = [
        await client.post("/tasks", json={"title": "T", "assignee_id": 999_999}),
        await client.post("/tasks", json={"title": "T", "customer_id": 999_999}),
        await client.patch(item, json={"assignee_id": 999_999}),
        await client.put(item, json={"title": "T", "customer_id": 999_999}),
    ]

    assert [(r.status_code, r.json()["code"]) for r in responses] == [(400, "bad_request")] * 4
    assert "assignee_id" in responses[0].json()["message"]
    assert (await client.get(item)).json()["version"] == 1


async def test_patch_changes_only_given_fields_and_nulls_only_nullable_ones(client: httpx.AsyncClient) -> None:
    user = await create_user(client)
    task = await create_task(client, assignee_id=user["id"], priority="high", due_date="2030-01-01")
    item = f"/tasks/{task['id']}"

    moved = await client.patch(item, json={"status": "done"})
    unassigned = await client.patch(item, json={"assignee_id": None, "due_date": None})
    null_status = await client.patch(item, json={"status": None})
    replaced = await client.put(item, json={"title": "Replaced"})

    assert (moved.json()["status"], moved.json()["priority"], moved.json()["assignee_id"]) == (
        "done",
        "high",
        user["id"],
    )
    assert (unassigned.json()["assignee_id"], unassigned.json()["due_date"]) == (None, None)
    assert null_status.status_code == 422
    assert (replaced.json()["status"], replaced.json()["priority"]) == ("todo", "medium")


async def test_filters(client: httpx.AsyncClient) -> None:
    ann, bob = await create_user(client), await create_user(client)
    acme = await create_customer(client)
    first = await create_task(client, status="todo", priority="high", assignee_id=ann["id"], due_date="2030-01-01")
    second = await create_task(client, status="done", priority="low", assignee_id=bob["id"], customer_id=acme["id"])
    third = await create_task(client, status="todo", priority="low", customer_id=acme["id"], due_date="2030-02-01")

    async def ids(**params: Any) -> list[int]:
        response = await client.get("/tasks", params={"sort": "id", **params})
        assert response.status_code == 200, response.text
        return [task["id"] for task in response.json()]

    assert await ids(status="todo") == [first["id"], third["id"]]
    assert await ids(priority="low") == [second["id"], third["id"]]
    assert await ids(assignee_id=bob["id"]) == [second["id"]]
    assert await ids(customer_id=acme["id"]) == [second["id"], third["id"]]
    assert await ids(due_before="2030-02-01") == [first["id"]]  # strictly before; no due date never matches
    assert await ids(due_before="2030-02-02", priority="low", status="todo") == [third["id"]]
    for bad in ({"status": "blocked"}, {"priority": "urgent"}, {"due_before": "soon"}, {"assignee_id": 0}):
        assert (await client.get("/tasks", params=bad)).status_code == 422


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("priority", ["low", "medium", "high"]),  # by urgency, not alphabetically
        ("-priority", ["high", "medium", "low"]),
        ("status", ["medium", "high", "low"]),  # todo, in_progress, done
        ("-status", ["low", "high", "medium"]),
        ("due_date", ["high", "low", "medium"]),
        ("-title", ["low", "high", "medium"]),
    ],
)
async def test_sorts(client: httpx.AsyncClient, sort: str, expected: list[str]) -> None:
    await create_task(client, title="a", priority="medium", status="todo", due_date="2030-03-01")
    await create_task(client, title="b", priority="high", status="in_progress", due_date="2030-01-01")
    await create_task(client, title="c", priority="low", status="done", due_date="2030-02-01")

    response = await client.get("/tasks", params={"sort": sort})

    assert response.status_code == 200, response.text
    assert [task["priority"] for task in response.json()] == expected
