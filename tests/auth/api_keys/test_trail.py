"""What a key leaves behind: audit and access rows naming it, its last use, and never itself."""

import logging
from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import select, text, update
from sqlmodel import col

from app.audit.models import AccessLog, AuditChange
from app.auth.api_keys.models import ApiKeyUsage
from app.core.models import utcnow
from tests.audit.helpers import access_rows, change_rows
from tests.identities import bearer, client_for, create_api_key, create_identity


async def test_audit_and_access_rows_under_a_key_carry_the_owner_and_the_key(app: FastAPI) -> None:
    owner_id, token = await create_identity(app, permissions={"products": ["create"], "audit": ["read"]})
    created = await create_api_key(app, token)
    body = {"sku": "TRAIL-1", "name": "Trail", "price": "1.00"}

    async with client_for(app, created["key"]) as http:
        product = (await http.post("/products", json=body)).json()
    async with client_for(app, token) as http:
        assert (await http.post("/products", json={**body, "sku": "TRAIL-2"})).status_code == 201

    [by_key] = await change_rows(app, entity_type="products", entity_id=product["id"])
    assert (by_key.actor_id, by_key.api_key_id) == (owner_id, created["id"])
    [by_token] = [row for row in await change_rows(app, entity_type="products") if row.entity_id != product["id"]]
    assert (by_token.actor_id, by_token.api_key_id) == (owner_id, None)
    [access] = await access_rows(app, method="POST", path="/products", api_key_id=created["id"])
    assert (access.user_id, access.status_code) == (owner_id, 201)
    async with client_for(app, token) as http:
        listed = await http.get("/audit/access", params={"api_key_id": created["id"]})
        changes = await http.get("/audit/changes", params={"api_key_id": created["id"]})
    assert [(row["path"], row["api_key_id"]) for row in listed.json()] == [("/products", created["id"])]
    assert [row["entity_type"] for row in changes.json()] == ["products"]


async def test_creating_and_revoking_a_key_is_audited_without_its_hash(app: FastAPI) -> None:
    owner_id, token = await create_identity(app)
    created = await create_api_key(app, token)
    async with client_for(app, token) as http:
        assert (await http.delete(f"/auth/api-keys/{created['id']}")).status_code == 204

    rows = await change_rows(app, entity_type="api_keys", entity_id=created["id"])

    assert [(row.action, row.actor_id) for row in rows] == [("INSERT", owner_id), ("DELETE", owner_id)]
    assert rows[0].new_values is not None
    assert rows[0].new_values["key_hash"] == "***"
    assert rows[0].new_values["prefix"] == created["prefix"]


async def last_used_at(app: FastAPI, key_id: int) -> object:
    async with app.state.session_factory() as session:
        return await session.scalar(select(col(ApiKeyUsage.last_used_at)).where(col(ApiKeyUsage.api_key_id) == key_id))


async def test_last_used_at_is_kept_to_the_minute(app: FastAPI) -> None:
    _, token = await create_identity(app, permissions={"products": ["read"]})
    created = await create_api_key(app, token)
    async with client_for(app, created["key"]) as http:
        before = utcnow()
        assert (await http.get("/products")).status_code == 200

        await app.state.api_key_usage.flush()

        used = await last_used_at(app, created["id"])
        assert used == before.replace(second=0, microsecond=0) or used == utcnow().replace(second=0, microsecond=0)
        async with client_for(app, token) as owner:
            [listed] = (await owner.get("/auth/api-keys")).json()
        assert listed["last_used_at"] is not None


async def test_one_write_per_key_and_minute_however_many_requests(app: FastAPI) -> None:
    _, token = await create_identity(app, permissions={"products": ["read"]})
    created = await create_api_key(app, token)
    marker = utcnow() - timedelta(days=1)
    async with client_for(app, created["key"]) as http:
        for _ in range(2):  # a second try, should the minute have turned between two requests
            minute = utcnow().replace(second=0, microsecond=0)
            assert (await http.get("/products")).status_code == 200
            await app.state.api_key_usage.flush()
            async with app.state.session_factory() as session, session.begin():
                await session.execute(
                    update(ApiKeyUsage).where(col(ApiKeyUsage.api_key_id) == created["id"]).values(last_used_at=marker)
                )
            for _ in range(3):
                assert (await http.get("/products")).status_code == 200
            await app.state.api_key_usage.flush()
            if utcnow().replace(second=0, microsecond=0) == minute:
                break

    # The later requests of that minute wrote nothing: the marker is still there.
    assert await last_used_at(app, created["id"]) == marker


async def test_no_key_appears_in_logs_or_in_the_trail(app: FastAPI, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every line the service can write, SQL parameters included
    _, token = await create_identity(app, permissions={"products": ["create"], "audit": ["read"]})
    created = await create_api_key(app, token)
    key = created["key"]
    secret = key.removeprefix(created["prefix"] + "_")
    forged = created["prefix"] + "_" + "A" * len(secret)
    async with client_for(app) as http:
        await http.post("/products", json={"sku": "LOG-1", "name": "Log", "price": "1"}, headers=bearer(key))
        await http.get("/products", headers={"X-API-Key": key})
        await http.get("/products", headers=bearer(forged))
        await http.get("/products?key=" + key, headers=bearer(key))
        await http.delete(f"/auth/api-keys/{created['id']}", headers=bearer(token))
        await http.get("/products", headers=bearer(key))
    await app.state.access_log.flush()
    await app.state.api_key_usage.flush()

    # The service's records: httpx here is the test's client, which logs the URLs it calls.
    records = [record for record in caplog.records if not record.name.startswith(("httpx", "httpcore"))]
    assert any(record.name.startswith("app") for record in records), "nothing logged: the scan would prove nothing"
    logged = "\n".join(f"{record.getMessage()} {record.msg} {record.args}" for record in records)
    assert secret not in logged
    async with app.state.session_factory() as session:
        changes = [row.model_dump_json() for row in (await session.scalars(select(AuditChange))).all()]
        access = [row.model_dump_json() for row in (await session.scalars(select(AccessLog))).all()]
        keys = [str(tuple(row)) for row in (await session.execute(text("SELECT * FROM api_key_usage"))).all()]
    assert changes
    assert access
    assert [row for row in changes + keys if secret in row] == []
    # The access log stores the path, not the query string a careless client put the key in.
    assert [row for row in access if secret in row] == []
