"""Engine, sessions and the one place where a transaction is committed."""

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from itertools import chain
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.pool import ConnectionPoolEntry

from app.core.config import Settings
from app.core.tracing import instrument_engine

logger = structlog.get_logger(__name__)

SessionFactory = async_sessionmaker[AsyncSession]

# Called with the names of the tables a transaction wrote, once it has committed.
AfterCommit = Callable[[frozenset[str]], Awaitable[None]]
_WRITTEN_TABLES = "written_tables"
_AFTER_COMMIT = "after_commit"
_READ_ONLY = "read_only"


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # SQLite forgets these per connection: foreign keys are off unless asked for.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def create_engine(settings: Settings, database_url: str | None = None) -> AsyncEngine:
    engine = _new_engine(settings, database_url)
    instrument_engine(engine, settings)  # when tracing is on: a span per statement
    return engine


def _new_engine(settings: Settings, database_url: str | None) -> AsyncEngine:
    url = make_url(database_url or settings.DATABASE_URL)
    if url.drivername.startswith("sqlite"):
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _enable_sqlite_pragmas)
        return engine
    return create_async_engine(
        url,
        # A fixed pool: connections past it would be opened and closed per request under
        # load (a connect costs far more than a query), so a burst waits for one instead.
        pool_size=settings.DATABASE_POOL_SIZE,
        max_overflow=0,
        # No pre-ping: it costs a round trip on every checkout. Connections are recycled
        # instead, and one dropped by the server fails a single request, not the pool.
        pool_recycle=1800,
    )


def create_session_factory(engine: AsyncEngine, after_commit: Sequence[AfterCommit] = ()) -> SessionFactory:
    """Sessions that call `after_commit` (cache invalidation, relay wake-up) once a transaction commits."""
    return async_sessionmaker(
        engine, expire_on_commit=False, autoflush=False, info={_AFTER_COMMIT: tuple(after_commit)}
    )


def create_read_session_factory(engine: AsyncEngine) -> SessionFactory:
    """Sessions for requests that only read (GET, HEAD); writing in one is refused.

    On PostgreSQL they run each statement on its own (autocommit), sparing the BEGIN and
    ROLLBACK round trips a transaction costs around a read. Statements see what they would
    in a transaction at the default isolation, READ COMMITTED: each takes its own snapshot.
    SQLite's driver begins no transaction for a read anyway.
    """
    bind = engine.execution_options(isolation_level="AUTOCOMMIT") if engine.dialect.name == "postgresql" else engine
    return async_sessionmaker(bind, expire_on_commit=False, autoflush=False, info={_READ_ONLY: True})


def mark_written(session: AsyncSession, table: str) -> None:
    """Record a write the ORM does not see (a Core statement), for the after-commit hooks."""
    session.info.setdefault(_WRITTEN_TABLES, set()).add(table)


def _ensure_writable(session_info: dict[Any, Any]) -> None:
    if session_info.get(_READ_ONLY):
        raise RuntimeError("a read-only session cannot write: use the request's read-write session")


@event.listens_for(Session, "before_flush")
def _refuse_writes_when_read_only(session: Session, _flush_context: UOWTransaction, _instances: object) -> None:
    _ensure_writable(session.info)


@event.listens_for(Session, "after_flush")
def _remember_written_tables(session: Session, _flush_context: UOWTransaction) -> None:
    # Still the pre-flush view here: new, dirty and deleted hold what this flush wrote.
    written = session.info.setdefault(_WRITTEN_TABLES, set())
    for instance in chain(session.new, session.dirty, session.deleted):
        written.update(table.name for table in inspect(instance).mapper.tables)


@asynccontextmanager
async def transaction(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """Commit the block's writes together, or none of them.

    The commit happens here, inside the service call, so a failing commit reaches the
    client as an error instead of surfacing after a 2xx was sent. What must follow a
    commit (invalidating cached lists) runs here too, still before the response.
    """
    _ensure_writable(session.info)
    try:
        yield session
        await session.commit()
    except BaseException:
        session.info.pop(_WRITTEN_TABLES, None)
        await session.rollback()
        raise
    await _run_after_commit(session)


async def _run_after_commit(session: AsyncSession) -> None:
    written = frozenset(session.info.pop(_WRITTEN_TABLES, ()))
    if not written:
        return
    for hook in session.info.get(_AFTER_COMMIT, ()):
        try:
            await hook(written)
        except Exception:
            # The data is committed; a failing follow-up must not turn that success into an error.
            logger.exception("after_commit_hook_failed", hook=getattr(hook, "__qualname__", repr(hook)))
