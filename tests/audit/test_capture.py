"""Change data capture, driven through the users API and checked in the database."""

from datetime import datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditChange
from app.core.auditable import MASK, policy_for
from app.core.database import transaction
from app.modules.users.models import User
from app.modules.users.repository import UserRepository
from tests.audit.helpers import change_rows
from tests.factories import create_user


async def test_insert_records_every_column_with_the_password_hash_masked(
    client: httpx.AsyncClient, app: FastAPI, admin: tuple[int, str]
) -> None:
    response = await client.post(
        "/users",
        json={"email": "ann@example.com", "name": "Ann", "password": "secret-pass-1"},
        headers={"X-Request-Id": "req-insert-1"},
    )
    user_id = response.json()["id"]

    [row] = await change_rows(app, entity_type="users", entity_id=user_id)
    assert row.action == "INSERT"
    assert row.old_values is None
    assert row.new_values is not None
    assert row.new_values["email"] == "ann@example.com"
    assert row.new_values["hashed_password"] == MASK
    assert row.new_values["version"] == 1
    assert row.request_id == "req-insert-1"
    assert row.actor_id == admin[0]


async def test_update_records_old_and_new_values_of_changed_columns_only(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    user = await create_user(client, name="Before", surname="Same")

    response = await client.patch(f"/users/{user['id']}", json={"name": "After", "surname": "Same"})
    assert response.status_code == 200

    rows = await change_rows(app, entity_id=user["id"], action="UPDATE")
    assert len(rows) == 1
    assert rows[0].changed_fields == ["name"]
    # Beside the change: what the write set on its own (the version counter, updated_at).
    old, new = rows[0].old_values or {}, rows[0].new_values or {}
    assert (old.pop("name"), old.pop("version"), datetime.fromisoformat(old.pop("updated_at"))) == (
        "Before", 1, datetime.fromisoformat(user["updated_at"])
    )  # fmt: skip
    assert (new.pop("name"), new.pop("version"), datetime.fromisoformat(new.pop("updated_at"))) == (
        "After", 2, datetime.fromisoformat(response.json()["updated_at"])
    )  # fmt: skip
    assert old == new == {}


async def test_password_change_is_recorded_without_the_hash(client: httpx.AsyncClient, app: FastAPI) -> None:
    user = await create_user(client, password="first-password")

    await client.patch(f"/users/{user['id']}", json={"password": "second-password"})

    [row] = await change_rows(app, entity_id=user["id"], action="UPDATE")
    assert row.changed_fields == ["hashed_password"]
    assert (row.old_values or {})["hashed_password"] == MASK
    assert (row.new_values or {})["hashed_password"] == MASK


async def test_delete_records_the_old_values(client: httpx.AsyncClient, app: FastAPI) -> None:
    user = await create_user(client, name="Gone")

    assert (await client.delete(f"/users/{user['id']}")).status_code == 204

    [row] = await change_rows(app, entity_id=user["id"], action="DELETE")
    assert row.new_values is None
    assert row.old_values is not None
    assert row.old_values["name"] == "Gone"
    assert row.old_values["id"] == user["id"]


async def test_a_write_that_changes_nothing_records_nothing(client: httpx.AsyncClient, app: FastAPI) -> None:
    user = await create_user(client, name="Same")

    await client.patch(f"/users/{user['id']}", json={"name": "Same"})

    assert await change_rows(app, entity_id=user["id"], action="UPDATE") == []


async def test_a_rejected_write_records_nothing(client: httpx.AsyncClient, app: FastAPI) -> None:
    first = await create_user(client)
    second = await create_user(client)

    response = await client.patch(f"/users/{second['id']}", json={"email": first["email"]})

    assert response.status_code == 409
    assert await change_rows(app, entity_id=second["id"], action="UPDATE") == []


async def test_a_rolled_back_transaction_leaves_no_audit_row(session: AsyncSession, app: FastAPI) -> None:
    async def write_then_fail() -> None:
        async with transaction(session):
            await UserRepository(session).create({"email": "rollback@example.com", "name": "Temp"})
            assert len(await change_rows_in(session)) == 1  # written by the flush, inside the transaction
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError, match="abort"):
        await write_then_fail()

    assert await change_rows(app) == []


async def test_old_values_are_right_when_the_instance_was_expired(session: AsyncSession, app: FastAPI) -> None:
    async with transaction(session):
        user = await UserRepository(session).create({"email": "expired@example.com", "name": "Committed"})
    session.expire(user)  # e.g. after a rollback: the old name is no longer in memory

    async with transaction(session):
        await UserRepository(session).update(user, {"name": "Changed"})

    [row] = await change_rows(app, entity_id=user.id, action="UPDATE")
    assert {key: value for key, value in (row.old_values or {}).items() if key != "updated_at"} == {
        "name": "Committed",
        "version": 1,
    }
    assert (row.new_values or {})["name"] == "Changed"
    assert (row.new_values or {})["version"] == 2


async def test_several_deletes_in_one_transaction_give_one_row_each(session: AsyncSession, app: FastAPI) -> None:
    repository = UserRepository(session)
    async with transaction(session):
        users = [await repository.create({"email": f"bulk{i}@example.com", "name": f"B{i}"}) for i in range(3)]

    async with transaction(session):
        for user in users:
            await session.delete(user)

    rows = await change_rows(app, action="DELETE")
    assert sorted(row.entity_id for row in rows if row.entity_id is not None) == sorted(u.id for u in users if u.id)


async def change_rows_in(session: AsyncSession) -> list[AuditChange]:
    return list((await session.scalars(select(AuditChange))).all())


def test_user_is_audited_with_its_password_hash_secret() -> None:
    policy = policy_for(User)
    assert policy is not None
    assert policy.is_secret("hashed_password")


async def test_role_assignments_are_recorded_also_when_their_user_or_role_is_deleted(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    roles = []
    for name in ("readers", "writers"):
        created = await client.post("/roles", json={"name": name, "permissions": {"posts": []}})
        roles.append(created.json()["id"])
    ann, bob = (await create_user(client))["id"], (await create_user(client))["id"]
    assert (await client.put(f"/users/{ann}/roles", json={"role_ids": roles})).status_code == 200
    assert (await client.put(f"/users/{ann}/roles", json={"role_ids": roles[:1]})).status_code == 200
    assert (await client.put(f"/users/{bob}/roles", json={"role_ids": roles[1:]})).status_code == 200

    assert (await client.delete(f"/users/{ann}")).status_code == 204
    assert (await client.delete(f"/roles/{roles[1]}")).status_code == 204

    def link(user_id: int, role_id: int) -> dict[str, int]:
        return {"user_id": user_id, "role_id": role_id}

    recorded = [
        (row.action, row.new_values or row.old_values) for row in await change_rows(app, entity_type="user_roles")
    ]
    assert recorded == [
        ("INSERT", link(ann, roles[0])),
        ("INSERT", link(ann, roles[1])),
        ("DELETE", link(ann, roles[1])),
        ("INSERT", link(bob, roles[1])),
        ("DELETE", link(ann, roles[0])),  # with the user
        ("DELETE", link(bob, roles[1])),  # with the role
    ]
