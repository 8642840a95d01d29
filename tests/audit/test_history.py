"""History, revert and restore where a module's own rules meet them: unique fields, references,
a user's password, superusers, and history once old changes are in cold storage.

What every module shares is in tests/modules/test_history_contract.py.
"""

from datetime import timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col

from app.audit.archive.archiver import archive
from app.audit.models import AuditChange
from app.core.auditable import MASK
from app.core.database import transaction
from app.core.models import utcnow
from app.modules.registry import DOMAIN_MODULES
from tests.audit.helpers import change_rows
from tests.factories import PASSWORD, create_customer, create_login_user, create_post, create_product, create_task
from tests.identities import client_for, create_identity, login
from tests.rows import stored_user


async def test_revert_into_a_taken_unique_value_is_409(client: httpx.AsyncClient) -> None:
    product = await create_product(client, sku="SKU-FIRST")
    item = f"/products/{product['id']}"
    await client.patch(item, json={"sku": "SKU-SECOND"})
    await create_product(client, sku="SKU-FIRST")  # another product takes the old sku

    response = await client.post(f"{item}/revert", json={"version": 1})

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "SKU-FIRST" in response.json()["message"]
    assert (await client.get(item)).json()["version"] == 2  # nothing changed


async def test_revert_to_a_version_whose_referenced_row_was_deleted_is_400(client: httpx.AsyncClient) -> None:
    first, second = await create_customer(client), await create_customer(client)
    task = await create_task(client, customer_id=first["id"])
    item = f"/tasks/{task['id']}"
    await client.patch(item, json={"customer_id": second["id"]})
    assert (await client.delete(f"/customers/{first['id']}")).status_code == 204

    response = await client.post(f"{item}/revert", json={"version": 1})

    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert (await client.get(item)).json()["customer_id"] == second["id"]


async def test_restoring_a_row_whose_referenced_row_is_gone_is_400(client: httpx.AsyncClient) -> None:
    user = await create_login_user(client)
    customer = await create_customer(client)
    task = await create_task(client, customer_id=customer["id"], assignee_id=user["id"])
    await client.delete(f"/tasks/{task['id']}")
    await client.delete(f"/customers/{customer['id']}")

    response = await client.post(f"/tasks/{task['id']}/restore")

    assert response.status_code == 400
    assert (await client.get(f"/tasks/{task['id']}")).status_code == 404


async def test_a_restored_user_comes_back_without_a_password(app: FastAPI, client: httpx.AsyncClient) -> None:
    user = await create_login_user(client, name="Kept")
    assert (await client.delete(f"/users/{user['id']}")).status_code == 204

    restored = await client.post(f"/users/{user['id']}/restore")

    assert restored.status_code == 201, restored.text
    assert restored.json()["name"] == "Kept"
    assert restored.json()["email"] == user["email"]
    assert "hashed_password" not in restored.json()
    stored = await stored_user(app, user["id"])
    assert stored is not None
    assert stored.hashed_password is None
    assert (await login(app, user["email"], PASSWORD)).status_code == 401
    version = (await client.get(f"/users/{user['id']}/versions/1")).json()
    assert version["hashed_password"] == MASK  # versions show that there was one, never what


async def test_a_users_password_is_never_reverted(app: FastAPI, client: httpx.AsyncClient) -> None:
    user = await create_login_user(client, name="First")
    item = f"/users/{user['id']}"
    await client.patch(item, json={"password": "second-password-123", "name": "Second"})

    reverted = await client.post(f"{item}/revert", json={"version": 1})

    assert reverted.status_code == 200, reverted.text
    assert reverted.json()["name"] == "First"
    assert (await login(app, user["email"], "second-password-123")).status_code == 200
    assert (await login(app, user["email"], PASSWORD)).status_code == 401
    [*_, last] = await change_rows(app, entity_id=user["id"], entity_type="users")
    assert last.changed_fields == ["name"]


async def test_only_a_superuser_restores_a_superuser(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, token = await create_identity(app, permissions={"users": ["create", "update", "delete"]})
    body = {"email": "su@example.com", "name": "Su", "is_superuser": True}
    superuser = (await client.post("/users", json=body)).json()
    await client.delete(f"/users/{superuser['id']}")

    async with client_for(app, token) as manager:
        refused = await manager.post(f"/users/{superuser['id']}/restore")

    assert refused.status_code == 403
    assert (await client.post(f"/users/{superuser['id']}/restore")).status_code == 201


async def test_a_revert_is_audited_as_the_caller_with_the_request_id(
    client: httpx.AsyncClient, admin: tuple[int, str]
) -> None:
    post = await create_post(client, title="Before")
    item = f"/posts/{post['id']}"
    await client.patch(item, json={"title": "After"})
    await client.post(f"{item}/revert", json={"version": 1}, headers={"X-Request-Id": "revert-1"})

    history = (await client.get(f"{item}/history")).json()

    assert history[0]["reason"] == "revert:1"
    assert history[0]["request_id"] == "revert-1"
    assert history[0]["actor_id"] == admin[0]
    assert history[0]["changes"]["title"] == {"old": "After", "new": "Before"}
    listed = (await client.get("/audit/changes", params={"entity_type": "posts", "entity_id": post["id"]})).json()
    assert listed[0]["reason"] == "revert:1"


async def test_history_without_its_archived_changes_says_it_is_incomplete(
    app: FastAPI, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    product = await create_product(client, name="V1")
    item = f"/products/{product['id']}"
    await client.patch(item, json={"name": "V2"})
    await client.patch(item, json={"name": "V3"})
    rows = await change_rows(app, entity_type="products", entity_id=product["id"])
    await backdate(app, [row.id for row in rows[:2]], days=40)  # the INSERT and the first UPDATE

    await archive(app.state.session_factory, tmp_path, ["changes"], 30, batch_size=100)
    history = await client.get(f"{item}/history")

    assert history.status_code == 200
    assert history.headers["X-History-Complete"] == "false"
    assert [entry["version"] for entry in history.json()] == [3]
    assert history.headers["X-Total-Count"] == "1"
    assert (await client.get(f"{item}/versions/3")).json()["name"] == "V3"
    assert (await client.get(f"{item}/versions/1")).status_code == 404  # its change is in cold storage
    assert (await client.post(f"{item}/revert", json={"version": 1})).status_code == 404


async def test_history_of_a_record_whose_every_change_is_archived_is_empty_and_incomplete(
    app: FastAPI, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    product = await create_product(client)
    rows = await change_rows(app, entity_type="products", entity_id=product["id"])
    await backdate(app, [row.id for row in rows], days=40)
    await archive(app.state.session_factory, tmp_path, ["changes"], 30, batch_size=100)

    history = await client.get(f"/products/{product['id']}/history")

    assert history.status_code == 200
    assert history.json() == []
    assert history.headers["X-History-Complete"] == "false"


async def test_a_restored_records_history_is_complete_only_with_its_first_life(
    app: FastAPI, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    customer = await create_customer(client)
    item = f"/customers/{customer['id']}"
    await client.delete(item)
    rows = await change_rows(app, entity_type="customers", entity_id=customer["id"])
    await backdate(app, [row.id for row in rows], days=40)
    await archive(app.state.session_factory, tmp_path, ["changes"], 30, batch_size=100)
    assert (await client.get(f"{item}/history")).status_code == 404  # nothing left to tell it ever existed

    # A restore needs the DELETE's last state: with it archived, there is nothing to restore from.
    assert (await client.post(f"{item}/restore")).status_code == 404


async def test_every_domain_module_has_the_history_routes(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]

    for module in DOMAIN_MODULES:
        assert {"get"} <= set(paths[f"/{module}/{{record_id}}/history"]), module
        assert {"get"} <= set(paths[f"/{module}/{{record_id}}/versions/{{version}}"]), module
        assert {"post"} <= set(paths[f"/{module}/{{record_id}}/revert"]), module
        assert {"post"} <= set(paths[f"/{module}/{{record_id}}/restore"]), module


async def backdate(app: FastAPI, ids: list[int | None], days: int) -> None:
    """Make audit rows old enough for `audit archive --older-than-days` (below `days`)."""
    async with app.state.session_factory() as session, transaction(session):
        await session.execute(
            update(AuditChange).where(col(AuditChange.id).in_(ids)).values(created_at=utcnow() - timedelta(days=days))
        )
