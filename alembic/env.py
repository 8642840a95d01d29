"""Alembic runs against the URL in the application's settings, on SQLite and PostgreSQL."""

import asyncio
from logging.config import fileConfig

from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import app.models  # noqa: F401 - registers every table on SQLModel.metadata
from alembic import context
from app.audit import install_audit_hooks
from app.core.config import get_settings
from app.core.database import create_engine
from app.core.locks import lock_for_transaction

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata
# A data migration written with the ORM is audited like any write; bulk statements pass (`audit_exempt`).
install_audit_hooks()


def database_url() -> str:
    url = config.attributes.get("database_url") or get_settings().DATABASE_URL
    return str(url)


def do_run_migrations(connection: Connection) -> None:
    # Migrations are reviewed schema work, not application writes: the audit guard lets them through.
    connection.execution_options(audit_exempt=True)
    if connection.dialect.name == "sqlite":
        # Batch mode copies a table, drops the original and renames the copy: with foreign keys
        # enforced, dropping a referenced table would delete (CASCADE) or refuse its children.
        # The pragma only takes effect outside a transaction, so it comes first.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        # Replicas that all run `db upgrade` on start take turns: the next one finds the schema at head.
        lock_for_transaction(connection, "migrations")
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration left rows whose references are broken: {broken[:5]}")


async def run_async_migrations() -> None:
    engine = create_engine(get_settings(), database_url())
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(run_async_migrations())
