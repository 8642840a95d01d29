"""History, versions, revert and restore (SPEC section 15), the same for every domain module.

Module-specific cases (a user's password, unique clashes, references) are in
tests/audit/test_history.py.
"""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from app.audit.models import AuditChange
from app.core.outbox import OutboxEvent
from tests.identities import client_for, create_identity
from tests.modules.test_crud_contract import MODULES, Module


@pytest.fixture(params=MODULES, ids=lambda module: module.name)
def module(request: pytest.FixtureRequest) -> Module:
    result: Module = request.param
    return result


SINGULAR = {"users": "user", "posts": "post", "products": "product", "tasks": "task", "customers": "customer"}


async def changes_of(app: FastAPI, module: Module, id_: int) -> list[AuditChange]:
    statement = select(AuditChange).filter_by(entity_type=module.name, entity_id=id_).order_by(col(AuditChange.id))
    async with app.state.session_factory() as session:
        return list((await session.scalars(statement)).all())


async def events_of(app: FastAPI, module: Module, id_: int) -> list[str]:
    async with app.state.session_factory() as session:
        rows = (await session.scalars(select(OutboxEvent).order_by(col(OutboxEvent.id)))).all()
    return [row.type for row in rows if row.data.get("id") == id_ and row.type.startswith(SINGULAR[module.name])]


def same_fields(record: dict[str, Any], version: dict[str, Any]) -> bool:
    """The record's fields as a GET shows them, equal in the version (which also holds what GET hides)."""
    kept = set(record) - {"updated_at", "created_at"}
    return {key: record[key] for key in kept} == {key: version[key] for key in kept}


async def test_history_lists_every_change_newest_first(client: httpx.AsyncClient, module: Module) -> None:
    created = await module.create(client)
    item = f"{module.path}/{created['id']}"
    await client.patch(item, json=module.change, headers={"X-Request-Id": "history-patch"})

    response = await client.get(f"{item}/history")

    assert response.status_code == 200, response.text
    entries = response.json()
    assert [(entry["action"], entry["version"]) for entry in entries] == [("UPDATE", 2), ("INSERT", 1)]
    assert response.headers["X-Total-Count"] == "2"
    assert response.headers["X-History-Complete"] == "true"
    assert entries[0]["request_id"] == "history-patch"
    assert entries[0]["reason"] is None
    [(field, value)] = module.change.items()
    assert entries[0]["changes"][field] == {"old": created[field], "new": value}
    assert entries[0]["changes"]["version"] == {"old": 1, "new": 2}
    assert entries[1]["changes"]["id"] == {"old": None, "new": created["id"]}
    assert set(entries[0]) == {"version", "action", "at", "actor_id", "request_id", "reason", "changes"}


async def test_history_is_paginated(client: httpx.AsyncClient, module: Module) -> None:
    created = await module.create(client)
    item = f"{module.path}/{created['id']}"
    for _ in range(2):
        await client.patch(item, json=module.change)
        await client.patch(item, json=(await module.replacement(client)) if module.name != "users" else {"name": "X"})

    first = await client.get(f"{item}/history", params={"limit": 2})
    last = await client.get(f"{item}/history", params={"skip": 4, "limit": 2})

    assert [entry["version"] for entry in first.json()] == [5, 4]
    assert first.headers["X-Total-Count"] == "5"
    assert 'rel="next"' in first.headers["Link"]
    assert [entry["version"] for entry in last.json()] == [1]
    assert 'rel="next"' not in last.headers["Link"]


async def test_versions_hold_the_whole_record_as_it_stood(client: httpx.AsyncClient, module: Module) -> None:
    created = await module.create(client)
    item = f"{module.path}/{created['id']}"
    patched = (await client.patch(item, json=module.change)).json()

    first = await client.get(f"{item}/versions/1")
    second = await client.get(f"{item}/versions/2")
    missing = await client.get(f"{item}/versions/3")

    assert first.status_code == 200, first.text
    assert same_fields(created, first.json())
    assert same_fields(patched, second.json())
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"


async def test_revert_is_one_new_update_through_the_write_path(
    app: FastAPI, client: httpx.AsyncClient, module: Module
) -> None:
    created = await module.create(client)
    item = f"{module.path}/{created['id']}"
    await client.patch(item, json=module.change)
    listed = await client.get(module.path, params={"limit": 100})

    reverted = await client.post(f"{item}/revert", json={"version": 1}, headers={"If-Match": '"2"'})

    assert reverted.status_code == 200, reverted.text
    assert reverted.headers["ETag"] == '"3"'
    assert reverted.json()["version"] == 3
    assert same_fields({**created, "version": 3}, reverted.json())
    assert (await client.get(item)).json() == reverted.json()
    last = (await changes_of(app, module, created["id"]))[-1]
    assert (last.action, last.reason) == ("UPDATE", "revert:1")
    assert (await events_of(app, module, created["id"]))[-1] == f"{SINGULAR[module.name]}.updated"
    assert listed.headers["X-Cache"] == "MISS"
    relisted = await client.get(module.path, params={"limit": 100})
    assert relisted.headers["X-Cache"] == "MISS"  # the revert's commit bumped the module's lists
    assert reverted.json() in relisted.json()


async def test_revert_with_a_stale_if_match_is_412_and_changes_nothing(
    client: httpx.AsyncClient, module: Module
) -> None:
    created = await module.create(client)
    item = f"{module.path}/{created['id']}"
    await client.patch(item, json=module.change)

    stale = await client.post(f"{item}/revert", json={"version": 1}, headers={"If-Match": '"1"'})

    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    assert (await client.get(item)).json()["version"] == 2


async def test_revert_to_an_unknown_version_or_of_a_missing_record_is_404(
    client: httpx.AsyncClient, module: Module
) -> None:
    created = await module.create(client)
    item = f"{module.path}/{created['id']}"

    unknown_version = await client.post(f"{item}/revert", json={"version": 7})
    await client.delete(item)
    deleted = await client.post(f"{item}/revert", json={"version": 1})
    bad_body = await client.post(f"{item}/revert", json={"version": 0})

    assert [unknown_version.status_code, deleted.status_code, bad_body.status_code] == [404, 404, 422]


async def test_restore_brings_a_deleted_record_back(app: FastAPI, client: httpx.AsyncClient, module: Module) -> None:
    created = await module.create(client)
    item = f"{module.path}/{created['id']}"
    await client.patch(item, json=module.change)
    last_state = (await client.get(item)).json()
    assert (await client.delete(item)).status_code == 204

    history_after_delete = await client.get(f"{item}/history")
    restored = await client.post(f"{item}/restore")

    assert [entry["action"] for entry in history_after_delete.json()] == ["DELETE", "UPDATE", "INSERT"]
    assert restored.status_code == 201, restored.text
    assert restored.headers["Location"] == item
    body = restored.json()
    assert body["id"] == created["id"]
    assert body["version"] == 3  # the version sequence goes on: version 2 was the deleted state
    assert body["created_at"] == created["created_at"]
    assert same_fields({**last_state, "version": 3}, body)
    assert (await client.get(item)).status_code == 200
    last = (await changes_of(app, module, created["id"]))[-1]
    assert (last.action, last.reason) == ("INSERT", "restore")
    assert (await events_of(app, module, created["id"]))[-1] == f"{SINGULAR[module.name]}.created"
    history = (await client.get(f"{item}/history")).json()
    assert [(entry["action"], entry["version"]) for entry in history][:2] == [("INSERT", 3), ("DELETE", 2)]
    assert (await client.get(f"{item}/versions/2")).status_code == 200


async def test_restore_of_an_existing_id_is_409(client: httpx.AsyncClient, module: Module) -> None:
    created = await module.create(client)

    response = await client.post(f"{module.path}/{created['id']}/restore")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


async def test_an_id_that_never_existed_is_404_everywhere(client: httpx.AsyncClient, module: Module) -> None:
    item = f"{module.path}/999999"

    responses = [
        await client.get(f"{item}/history"),
        await client.get(f"{item}/versions/1"),
        await client.post(f"{item}/revert", json={"version": 1}),
        await client.post(f"{item}/restore"),
    ]

    assert [response.status_code for response in responses] == [404] * 4
    assert {response.json()["code"] for response in responses} == {"not_found"}


async def test_reading_history_needs_the_module_and_audit_read(
    app: FastAPI, client: httpx.AsyncClient, module: Module
) -> None:
    created = await module.create(client)
    item = f"{module.path}/{created['id']}"
    _, module_only = await create_identity(app, permissions={module.name: []})
    _, audit_only = await create_identity(app, permissions={"audit": []})
    _, both = await create_identity(app, permissions={module.name: [], "audit": []})

    statuses = {}
    for name, token in (("module_only", module_only), ("audit_only", audit_only), ("both", both)):
        async with client_for(app, token) as http:
            statuses[name] = ((await http.get(f"{item}/history")).status_code,
                              (await http.get(f"{item}/versions/1")).status_code)  # fmt: skip

    assert statuses == {"module_only": (403, 403), "audit_only": (403, 403), "both": (200, 200)}


async def test_revert_needs_update_and_restore_needs_create(
    app: FastAPI, client: httpx.AsyncClient, module: Module
) -> None:
    created = await module.create(client)
    item = f"{module.path}/{created['id']}"
    await client.patch(item, json=module.change)
    _, reader = await create_identity(app, permissions={module.name: [], "audit": []})
    _, editor = await create_identity(app, permissions={module.name: ["update", "create"]})

    async with client_for(app, reader) as http:
        denied = [
            (await http.post(f"{item}/revert", json={"version": 1})).status_code,
            (await http.post(f"{item}/restore")).status_code,
        ]
    async with client_for(app, editor) as http:
        allowed = (await http.post(f"{item}/revert", json={"version": 1})).status_code

    assert denied == [403, 403]
    assert allowed == 200
