"""No write path may go around the capture hooks: bulk statements on audited tables fail."""

import os
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, insert, inspect, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from app.audit.guard import AuditBypassError
from app.audit.models import AuditChange
from app.auth.accounts import User
from app.core.auditable import audited_classes, policy_for
from tests.audit.helpers import change_rows
from tests.factories import create_user
from tests.forkserver import run_forked

APP_DIR = Path(__file__).resolve().parents[2] / "app"
SCRIPT_SECONDS = 60


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param(update(User).where(col(User.id) > 0).values(name="bulk"), id="orm-update"),
        pytest.param(delete(User).where(col(User.id) > 0), id="orm-delete"),
        pytest.param(insert(User).values(email="bulk@example.com", name="Bulk"), id="orm-insert"),
        pytest.param(update(User.__table__).values(name="bulk"), id="core-update"),  # type: ignore[attr-defined]  # SQLModel maps __table__ at runtime
    ],
)
async def test_bulk_statement_through_the_session_is_refused(
    session: AsyncSession, client: httpx.AsyncClient, app: FastAPI, statement: object
) -> None:
    user = await create_user(client, name="Untouched")

    with pytest.raises(AuditBypassError, match="users"):
        await session.execute(statement)  # type: ignore[call-overload]  # each param is an executable DML statement
    await session.rollback()

    response = await client.get(f"/users/{user['id']}")
    assert response.json()["name"] == "Untouched"
    assert len(await change_rows(app, entity_id=user["id"])) == 1  # only its INSERT


async def test_orm_bulk_update_by_primary_key_is_refused(session: AsyncSession, client: httpx.AsyncClient) -> None:
    user = await create_user(client)

    with pytest.raises(AuditBypassError):
        await session.execute(update(User), [{"id": user["id"], "name": "bulk"}])
    await session.rollback()


async def test_statement_on_a_raw_connection_is_refused(app: FastAPI, client: httpx.AsyncClient) -> None:
    user = await create_user(client, name="Untouched")

    async with app.state.engine.connect() as connection:
        with pytest.raises(AuditBypassError, match="Connection"):
            await connection.execute(delete(User).where(col(User.id) == user["id"]))

    assert (await client.get(f"/users/{user['id']}")).status_code == 200


async def test_after_a_flush_the_session_connection_is_guarded_again(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    """The flush's own statements pass; once it has ended, succeeded or failed, nothing else does."""
    taken = await create_user(client)
    session.add(User(email="flushed@example.com", name="Flushed"))
    await session.flush()
    connection = await session.connection()
    with pytest.raises(AuditBypassError, match="Connection"):
        await connection.execute(update(User.__table__).values(name="bulk"))  # type: ignore[attr-defined]  # SQLModel maps __table__ at runtime
    await session.rollback()

    session.add(User(email=taken["email"], name="Clash"))
    with pytest.raises(IntegrityError):
        await session.flush()  # fails after writing starts: its rollback ends the flush
    await session.rollback()
    connection = await session.connection()
    with pytest.raises(AuditBypassError, match="Connection"):
        await connection.execute(update(User.__table__).values(name="bulk"))  # type: ignore[attr-defined]  # SQLModel maps __table__ at runtime
    await session.rollback()


async def test_importing_the_audit_package_installs_no_hook(tmp_path: Path) -> None:
    """The hooks are installed by `install_audit_hooks()` at each entry point, not as a side effect.

    In a process of its own, forked from one that has imported the whole app (tests/forkserver.py)
    and installed nothing: this test process has installed them."""
    script = """
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
import app.audit, app.models
from app.audit import capture, guard
hooks = lambda: [event.contains(Session, "after_flush", capture._record_changes),
                 event.contains(Engine, "before_execute", guard._refuse_connection_write)]
assert hooks() == [False, False], hooks()
app.audit.install_audit_hooks()
app.audit.install_audit_hooks()
assert hooks() == [True, True], hooks()
"""
    result = await run_forked(["-c", script], tmp_path, dict(os.environ), SCRIPT_SECONDS)
    assert result.returncode == 0, result.stderr


async def test_tables_that_are_not_audited_accept_bulk_statements(session: AsyncSession) -> None:
    await session.execute(delete(AuditChange).where(col(AuditChange.id) < 0))
    await session.rollback()


def test_every_domain_table_is_audited() -> None:
    domain_tables = [
        mapper.class_ for mapper in SQLModel._sa_registry.mappers if mapper.class_.__module__.startswith("app.modules.")
    ]
    assert domain_tables, "no domain tables found: the check itself is broken"
    assert [cls.__name__ for cls in domain_tables if policy_for(cls) is None] == []


def test_no_database_cascade_changes_audited_rows_behind_the_orm() -> None:
    """ON DELETE CASCADE / SET NULL, or passive_deletes, would change rows without a trail."""
    offenders = []
    for cls in audited_classes():
        table = cls.__table__
        offenders += [f"{table.name}.{fk.parent.name}" for fk in table.foreign_keys if fk.ondelete]
        offenders += [f"{cls.__name__}.{rel.key}" for rel in inspect(cls).relationships if rel.passive_deletes]
    assert offenders == []


def test_no_legacy_bulk_session_methods_in_the_code() -> None:
    """`bulk_save_objects` & co. write through the mapper without flush events."""
    legacy = ("bulk_save_objects", "bulk_insert_mappings", "bulk_update_mappings")
    users = [
        f"{path.relative_to(APP_DIR.parent)}: {name}"
        for path in APP_DIR.rglob("*.py")
        for name in legacy
        if name in path.read_text()
    ]
    assert users == []
