"""The business-event line, logged from the committed audit rows once the response is sent."""

import logging

import httpx
import pytest

from app.audit.business_log import BusinessEvent
from tests.factories import create_user


def audit_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [str(record.msg) for record in caplog.records if record.name == "app.audit"]


async def test_each_committed_change_is_logged(client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="app.audit")

    user = await create_user(client)
    await client.patch(f"/users/{user['id']}", json={"name": "Renamed"})
    await client.delete(f"/users/{user['id']}")

    lines = audit_lines(caplog)
    assert any(f"[AUDIT] CREATE_USER | User {user['id']} created" in line for line in lines)
    assert any(f"[AUDIT] UPDATE_USER | User {user['id']} updated (name)" in line for line in lines)
    assert any(f"[AUDIT] DELETE_USER | User {user['id']} deleted" in line for line in lines)


async def test_nothing_is_logged_for_a_rejected_write(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    existing = await create_user(client)
    caplog.set_level(logging.INFO, logger="app.audit")

    response = await client.post("/users", json={"email": existing["email"], "name": "Dup"})

    assert response.status_code == 409
    assert audit_lines(caplog) == []


def test_entity_names_become_upper_snake_case_codes() -> None:
    event = BusinessEvent("INSERT", "RoleGrant", 4, [])

    assert event.line() == "[AUDIT] CREATE_ROLE_GRANT | RoleGrant 4 created"
