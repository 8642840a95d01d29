"""Changes made on behalf of another change are audited row by row, in the same request."""

import httpx
from fastapi import FastAPI

from tests.audit.helpers import change_rows
from tests.factories import create_customer, create_post, create_task, create_user


async def test_user_delete_audits_each_deleted_post_and_unassigned_task(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    author = await create_user(client)
    posts = [await create_post(client, user_id=author["id"]) for _ in range(2)]
    task = await create_task(client, assignee_id=author["id"])

    response = await client.delete(f"/users/{author['id']}")

    request_id = response.headers["X-Request-Id"]
    rows = await change_rows(app, request_id=request_id)
    deleted_posts = sorted(row.entity_id or 0 for row in rows if row.entity_type == "posts" and row.action == "DELETE")
    [task_change] = [row for row in rows if row.entity_type == "tasks"]
    [user_change] = [row for row in rows if row.entity_type == "users"]
    assert deleted_posts == sorted(post["id"] for post in posts)
    assert (task_change.action, task_change.entity_id) == ("UPDATE", task["id"])
    assert task_change.changed_fields == ["assignee_id"]
    assert task_change.old_values is not None
    assert task_change.new_values is not None
    assert (task_change.old_values["assignee_id"], task_change.new_values["assignee_id"]) == (author["id"], None)
    assert (task_change.old_values["version"], task_change.new_values["version"]) == (1, 2)
    assert user_change.action == "DELETE"


async def test_customer_delete_audits_each_task_it_leaves(client: httpx.AsyncClient, app: FastAPI) -> None:
    customer = await create_customer(client)
    tasks = [await create_task(client, customer_id=customer["id"]) for _ in range(2)]
    other = await create_task(client, customer_id=(await create_customer(client))["id"])

    response = await client.delete(f"/customers/{customer['id']}")

    assert response.status_code == 204
    rows = await change_rows(app, request_id=response.headers["X-Request-Id"])
    task_changes = sorted((row.entity_id or 0, row.changed_fields) for row in rows if row.entity_type == "tasks")
    assert task_changes == sorted((task["id"], ["customer_id"]) for task in tasks)
    for task in tasks:
        assert (await client.get(f"/tasks/{task['id']}")).json()["customer_id"] is None
    assert (await client.get(f"/tasks/{other['id']}")).json()["customer_id"] == other["customer_id"]


async def test_role_and_grant_changes_are_audited(client: httpx.AsyncClient, app: FastAPI) -> None:
    role = (await client.post("/roles", json={"name": "auditors", "permissions": {"audit": []}})).json()

    await client.patch(f"/roles/{role['id']}", json={"permissions": {"users": ["update"]}})

    grants = await change_rows(app, entity_type="role_grants")
    assert [row.action for row in grants].count("INSERT") == 3  # audit:read, then users:read + users:update
    assert [row.action for row in grants].count("DELETE") == 1
    assert {row.action for row in await change_rows(app, entity_type="roles")} == {"INSERT", "UPDATE"}
