"""Engine, sessions and the one place where a transaction is committed."""

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from itertools import chain
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.pool import ConnectionPoolEntry

from app.core.config import Settings
from app.core.sqlite_driver import connector
from app.core.tracing import instrument_engine

logger = structlog.get_logger(__name__)

SessionFactory = async_sessionmaker[AsyncSession]

# Called with the names of the tables a transaction wrote: in it, just before its commit;
# and once it has committed.
BeforeCommit = Callable[[AsyncSession, frozenset[str]], Awaitable[None]]
AfterCommit = Callable[[frozenset[str]], Awaitable[None]]
_WRITTEN_TABLES = "written_tables"
_BEFORE_COMMIT = "before_commit"
_AFTER_COMMIT = "after_commit"
_READ_ONLY = "read_only"
_WRITE_LOCK = "write_lock"
# Set while this task holds the write lock: a transaction it opens meanwhile (the relay's
# in-process handlers) must not wait for itself.
_holding_write_lock: ContextVar[bool] = ContextVar("holding_write_lock", default=False)


# SQLSTATE classes of a database that cannot serve: connection (08), no such database (3D),
# authorization (28), resources (53, too many connections), operator intervention (57, shutdown).
_UNAVAILABLE_SQLSTATE_CLASSES = ("08", "3D", "28", "53", "57")


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database is down, unreachable, missing or out of connections.

    The driver's connect errors arrive as they are (refused, unknown host, timeout); the rest
    wrapped by SQLAlchemy.
    """
    if isinstance(exc, ConnectionError | socket.gaierror | TimeoutError | PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
    return (
        exc.connection_invalidated
        or sqlstate.startswith(_UNAVAILABLE_SQLSTATE_CLASSES)
        or (not sqlstate and isinstance(exc, OperationalError | InterfaceError))
    )


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
        engine = create_async_engine(
            url,
            async_creator=connector(url.database or ":memory:", timeout=30),
            hide_parameters=True,
            pool_reset_on_return=None,
        )
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
        # A failed statement's message would otherwise carry its parameters into the log.
        hide_parameters=True,
    )


def create_session_factory(
    engine: AsyncEngine, before_commit: Sequence[BeforeCommit] = (), after_commit: Sequence[AfterCommit] = ()
) -> SessionFactory:
    """Sessions whose transactions call the hooks (cache generations, relay wake-up) around their commit.

    On SQLite, one transaction writes at a time per process, the others queue for it in
    order: SQLite takes one writer at a time anyway, and left to its busy handler, writers
    poll for the lock with growing sleeps, so under load some waited seconds.
    """
    info: dict[str, object] = {_BEFORE_COMMIT: tuple(before_commit), _AFTER_COMMIT: tuple(after_commit)}
    if engine.dialect.name == "sqlite":
        info[_WRITE_LOCK] = asyncio.Lock()
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False, info=info)


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
    lock: asyncio.Lock | None = session.info.get(_WRITE_LOCK)
    if lock is None or _holding_write_lock.get():
        async with _committed(session):
            yield session
        return
    async with lock:
        holding = _holding_write_lock.set(True)
        try:
            async with _committed(session):
                yield session
        finally:
            _holding_write_lock.reset(holding)


@asynccontextmanager
async def _committed(session: AsyncSession) -> AsyncIterator[None]:
    try:
        yield
        if session.info.get(_BEFORE_COMMIT):
            await session.flush()  # what the commit would flush: its tables are known to the hooks
            written = frozenset(session.info.get(_WRITTEN_TABLES, ()))
            for hook in session.info[_BEFORE_COMMIT] if written else ():
                await hook(session, written)
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
