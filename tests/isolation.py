"""A test's database work in one transaction on one connection, rolled back when it ends.

SQLAlchemy's "joining a Session into an external transaction" recipe: the app's session
factories (requests' read-write and read-only sessions, the access-log and key-usage writers)
are bound to the test's connection for its duration, and each session runs in a SAVEPOINT
there, so a service's commit releases its savepoint and a refused write rolls back to it.
Nothing the test did is ever committed: ending it costs a ROLLBACK, where emptying every
table cost a statement per table.

What can't join the one connection needs real commits, and the `committed` fixture: other
processes and apps on the database, and requests running at once (one connection serves one
statement at a time).
"""

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import ExitStack, asynccontextmanager, contextmanager
from unittest import mock

from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core.database import SessionFactory
from app.core.generations import SqliteGenerations


class _Commits:
    count = 0  # real commits in this process, on any engine (a savepoint's release is none)


@event.listens_for(Engine, "commit")
def _count_commit(_connection: Connection) -> None:
    _Commits.count += 1


@asynccontextmanager
async def rolled_back(application: FastAPI) -> AsyncIterator[None]:
    state = application.state
    commits = _Commits.count
    async with state.engine.connect() as connection:
        await connection.begin()
        if connection.dialect.name == "sqlite":
            # The sqlite3 driver begins no transaction before a SAVEPOINT: without this BEGIN the
            # first savepoint would be the outermost one, and releasing it would commit.
            await connection.exec_driver_sql("BEGIN")
        with ExitStack() as joined:
            joined.enter_context(bound_to(state.session_factory, connection))
            joined.enter_context(bound_to(state.read_session_factory, connection))
            joined.enter_context(generations_read_on(application, connection))
            try:
                yield
            finally:
                await state.access_log.flush()  # into this transaction: nothing queued outlives the test
                state.api_key_usage.forget()
        await connection.rollback()
    # A commit here came from another connection (another app, a task of its own): the rollback
    # cannot undo it, and the next tests would find its rows.
    assert _Commits.count == commits, "this test committed outside its transaction: it needs `committed`"


@contextmanager
def bound_to(factory: SessionFactory, connection: AsyncConnection) -> Iterator[None]:
    saved = {key: factory.kw[key] for key in ("bind", "join_transaction_mode") if key in factory.kw}
    factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield
    finally:
        factory.kw.pop("join_transaction_mode")
        factory.configure(**saved)


@contextmanager
def generations_read_on(application: FastAPI, connection: AsyncConnection) -> Iterator[None]:
    """On SQLite the cache generations are bumped in the writing transaction and read on a
    connection of their own, which sees only what was committed: here they are read on the
    test's connection, so a write in the test still invalidates the lists it cached."""
    generations = application.state.list_cache.generations
    if not isinstance(generations, SqliteGenerations):
        yield
        return

    async def read(namespaces: Sequence[str]) -> list[int]:
        rows = await connection.execute(text("SELECT namespace, value FROM cache_generations"))
        values: dict[str, int] = {row.namespace: row.value for row in rows}
        return [values.get(name, 0) for name in namespaces]

    with mock.patch.object(generations, "read", read):
        yield
