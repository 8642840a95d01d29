"""The migrations build exactly the schema the models describe, and can be walked down and up."""

import sqlite3
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import app.models  # noqa: F401 - registers every table on SQLModel.metadata
from alembic import command
from app.cli import alembic_config
from tests.backends import Backend, in_thread

TABLES = {table.name for table in SQLModel.metadata.sorted_tables}


def schema_drift(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


async def test_migrated_database_matches_the_models(backend: Backend) -> None:
    engine = create_async_engine(backend.database_url)
    try:
        async with engine.connect() as connection:
            drift = await connection.run_sync(schema_drift)
    finally:
        await engine.dispose()

    assert drift == []


def tables_in(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows} - {"alembic_version", "sqlite_sequence"}


def test_downgrade_to_base_then_upgrade_to_head(tmp_path: Path) -> None:
    path = tmp_path / "walk.db"
    config = alembic_config(f"sqlite+aiosqlite:///{path}")

    in_thread(lambda: command.upgrade(config, "head"))
    assert tables_in(path) == TABLES

    in_thread(lambda: command.downgrade(config, "base"))
    assert tables_in(path) == set()

    in_thread(lambda: command.upgrade(config, "head"))
    assert tables_in(path) == TABLES
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            assert schema_drift(connection) == []
    finally:
        engine.dispose()


def test_each_step_down_and_up_again(tmp_path: Path) -> None:
    path = tmp_path / "steps.db"
    config = alembic_config(f"sqlite+aiosqlite:///{path}")
    steps = len(list(ScriptDirectory.from_config(config).walk_revisions()))
    in_thread(lambda: command.upgrade(config, "head"))

    for _ in range(steps):  # each step's downgrade, its upgrade again, then on down
        in_thread(lambda: command.downgrade(config, "-1"))
        in_thread(lambda: command.upgrade(config, "+1"))
        in_thread(lambda: command.downgrade(config, "-1"))
    assert tables_in(path) == set()

    in_thread(lambda: command.upgrade(config, "head"))
    assert tables_in(path) == TABLES


def test_ids_seen_by_the_audit_trail_are_never_handed_out_again_on_sqlite(tmp_path: Path) -> None:
    """0007 copies the domain tables to give them AUTOINCREMENT: every row and link survives
    (no cascade fires), and an id the audit trail knows of is not given to a new row."""
    path = tmp_path / "ids.db"
    config = alembic_config(f"sqlite+aiosqlite:///{path}")
    in_thread(lambda: command.upgrade(config, "0006"))
    now = "2026-01-01 00:00:00"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO users (id, created_at, updated_at, version, email, name, is_active, is_superuser) "
            "VALUES (1, ?, ?, 1, 'kept@example.com', 'Kept', 1, 0)",
            (now, now),
        )
        connection.execute(
            "INSERT INTO auth_sessions (id, user_id, created_at, expires_at) VALUES ('s', 1, ?, ?)", (now, now)
        )
        connection.execute(
            "INSERT INTO posts (id, created_at, updated_at, version, title, content, user_id) "
            "VALUES (1, ?, ?, 1, 't', 'c', 1)",
            (now, now),
        )
        connection.execute(
            "INSERT INTO audit_changes (entity_type, entity_id, action, created_at) VALUES ('users', 7, 'DELETE', ?)",
            (now,),
        )

    in_thread(lambda: command.upgrade(config, "head"))

    with sqlite3.connect(path) as connection:
        counts = [
            connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("users", "auth_sessions", "posts")
        ]
        connection.execute(
            "INSERT INTO users (created_at, updated_at, version, email, name, is_active, is_superuser) "
            "VALUES (?, ?, 1, 'new@example.com', 'New', 1, 0)",
            (now, now),
        )
        new_id = connection.execute("SELECT id FROM users WHERE email = 'new@example.com'").fetchone()[0]
        broken = connection.execute("PRAGMA foreign_key_check").fetchall()
    assert counts == [1, 1, 1]
    assert new_id == 8  # not 2, nor the deleted user 7's id
    assert broken == []
