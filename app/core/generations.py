"""Generation counters: one per namespace, bumped by every committed write to a table it watches.

A cache keys what it keeps by the generations it read before loading it (a list by its
table's, a verified caller by `auth`'s), so a committed write makes older entries
unreachable at once, in every process that reads the same counters. Counters never go
back: one that is missing (Redis emptied, a fresh database) starts at the clock in
microseconds, above any value it held before, so no old entry can match again.

Where they live:
- Redis (REDIS_URL): every process and host; bumped right after the commit.
- The SQLite file (no Redis): a row per namespace, bumped inside the writing transaction,
  so the write and its bump commit together; every worker on the file reads them.
- This process's memory (PostgreSQL without Redis): right for one process only (`shared`).

A counter that cannot be read raises: callers bypass their cache, never fail the request.
"""

import sqlite3
import time
from collections.abc import Iterable, Sequence
from typing import Protocol

from sqlalchemy import BigInteger, bindparam
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

import app.core.models  # noqa: F401 - its naming convention names this table's constraints
from app.core.config import Settings

# table -> the namespaces that watch it; declared at import time, so the same in every process.
_WATCHERS: dict[str, set[str]] = {}


def watch(namespace: str, tables: Iterable[str]) -> None:
    for table in tables:
        _WATCHERS.setdefault(table, set()).add(namespace)


def namespaces_of(tables: Iterable[str]) -> frozenset[str]:
    return frozenset(namespace for table in tables for namespace in _WATCHERS.get(table, ()))


def clock_start() -> int:
    return time.time_ns() // 1000


class CacheGeneration(SQLModel, table=True):
    __tablename__ = "cache_generations"

    namespace: str = Field(primary_key=True, max_length=64)
    value: int = Field(sa_type=BigInteger, nullable=False)


_COLUMNS = CacheGeneration.__table__.c  # type: ignore[attr-defined]  # SQLModel declares __table__ untyped
# Built once, so it is compiled once: +1, or the clock when the row is missing.
_SQLITE_BUMP = (
    sqlite_insert(CacheGeneration)
    .values(namespace=bindparam("namespace"), value=bindparam("start"))
    .on_conflict_do_update(index_elements=[_COLUMNS.namespace], set_={"value": _COLUMNS.value + 1})
)


class Generations(Protocol):
    shared: bool  # every process reads the same counters

    async def read(self, namespaces: Sequence[str]) -> list[int]: ...

    async def before_commit(self, session: AsyncSession, tables: frozenset[str]) -> None:
        """In the writing transaction, its tables flushed: bump what is kept in the database."""

    async def after_commit(self, tables: frozenset[str]) -> None:
        """Once it committed: bump what is kept elsewhere."""

    async def clear(self) -> None: ...

    async def close(self) -> None: ...


class MemoryGenerations:
    shared = False

    def __init__(self) -> None:
        self._values: dict[str, int] = {}

    async def read(self, namespaces: Sequence[str]) -> list[int]:
        return [self._values.get(name, 0) for name in namespaces]

    async def before_commit(self, session: AsyncSession, tables: frozenset[str]) -> None:
        pass

    async def after_commit(self, tables: frozenset[str]) -> None:
        for name in namespaces_of(tables):
            self._values[name] = self._values.get(name, 0) + 1

    async def clear(self) -> None:
        self._values.clear()

    async def close(self) -> None:
        pass


class SqliteGenerations:
    """The `cache_generations` rows of one SQLite file, shared by every process that opens it.

    Read with a plain sqlite3 connection on the event loop: a WAL read of one small table
    in the page cache takes microseconds, where aiosqlite's hand-off to its thread costs
    a request more than the read itself.
    """

    shared = True

    def __init__(self, path: str) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None

    async def read(self, namespaces: Sequence[str]) -> list[int]:
        if self._connection is None:
            self._connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None, timeout=0)
        rows = dict(self._connection.execute("SELECT namespace, value FROM cache_generations").fetchall())
        return [rows.get(name, 0) for name in namespaces]

    async def before_commit(self, session: AsyncSession, tables: frozenset[str]) -> None:
        namespaces = sorted(namespaces_of(tables))
        if namespaces:
            start = clock_start()
            await session.execute(_SQLITE_BUMP, [{"namespace": name, "start": start} for name in namespaces])

    async def after_commit(self, tables: frozenset[str]) -> None:
        pass

    async def clear(self) -> None:
        pass

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def database_generations(settings: Settings) -> Generations:
    """Without Redis: in the SQLite file, shared by its processes; else in this process's memory."""
    url = make_url(settings.DATABASE_URL)
    if url.drivername.startswith("sqlite") and url.database and url.database != ":memory:":
        return SqliteGenerations(url.database)
    return MemoryGenerations()
