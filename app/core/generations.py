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

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Protocol, TypeVar

import structlog
from redis.asyncio import Redis
from sqlalchemy import BigInteger
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

import app.core.models  # noqa: F401 - its naming convention names this table's constraints
from app.core.config import Settings

logger = structlog.get_logger(__name__)
T = TypeVar("T")

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
        if not namespaces:
            return
        start = clock_start()
        statement = sqlite_insert(CacheGeneration).values([{"namespace": n, "value": start} for n in namespaces])
        column = CacheGeneration.__table__.c.value  # type: ignore[attr-defined]  # SQLModel declares __table__ untyped
        await session.execute(statement.on_conflict_do_update(index_elements=["namespace"], set_={"value": column + 1}))

    async def after_commit(self, tables: frozenset[str]) -> None:
        pass

    async def clear(self) -> None:
        pass

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


# Each key: its value, or the clock in microseconds when missing; then +1 when bumping (ARGV[1]).
_READ_OR_BUMP = """
local values = {}
for i, key in ipairs(KEYS) do
    local value = redis.call('GET', key)
    if not value then
        local now = redis.call('TIME')
        value = now[1] .. string.format('%06d', now[2])
        redis.call('SET', key, value)
    end
    if ARGV[1] == '1' then value = redis.call('INCR', key) end
    values[i] = tonumber(value)
end
return values
"""


class RedisBypass:
    """After a Redis call fails, later ones fail at once for `seconds`: a Redis that hangs costs
    one request per process its timeout each second, not every request."""

    def __init__(self, timeout: float, seconds: float = 1.0) -> None:
        self.timeout = timeout
        self.seconds = seconds
        self._down_until = 0.0

    async def call(self, operation: Callable[[], Awaitable[T]]) -> T:
        if self._down_until and time.monotonic() < self._down_until:
            raise ConnectionError("Redis bypassed after a failure")
        try:
            async with asyncio.timeout(self.timeout):
                result = await operation()
        except Exception as exc:
            if not self._down_until:
                logger.warning("redis_unavailable", error=repr(exc))
            self._down_until = time.monotonic() + self.seconds
            raise
        if self._down_until:
            logger.info("redis_recovered")
            self._down_until = 0.0
        return result


class RedisGenerations:
    """Counters in Redis, bumped after commit. A bump that fails is owed: this process trusts
    no counter until it is paid (on its next read, or by a retry each second), while other
    processes may keep what the write changed until it lands."""

    shared = True

    def __init__(self, client: Redis, prefix: str, bypass: RedisBypass) -> None:
        self.prefix = f"{prefix}gen:"
        self.bypass = bypass
        self._script = client.register_script(_READ_OR_BUMP)
        self._owed: set[str] = set()
        self._retry: asyncio.Task[None] | None = None

    async def read(self, namespaces: Sequence[str]) -> list[int]:
        if self._owed:
            await self._bump()
        return await self._run(namespaces, bump=False)

    async def before_commit(self, session: AsyncSession, tables: frozenset[str]) -> None:
        pass

    async def after_commit(self, tables: frozenset[str]) -> None:
        namespaces = namespaces_of(tables)
        if not namespaces:
            return
        self._owed |= namespaces
        try:
            await self._bump()
        except Exception:
            if self._retry is None or self._retry.done():
                self._retry = asyncio.create_task(self._retry_owed(), name="generation-bump-retry")

    async def clear(self) -> None:
        self._owed.clear()

    async def close(self) -> None:
        if self._retry is not None:
            self._retry.cancel()

    async def _bump(self) -> None:
        owed = sorted(self._owed)
        await self._run(owed, bump=True)
        self._owed.difference_update(owed)

    async def _retry_owed(self) -> None:
        while self._owed:
            await asyncio.sleep(self.bypass.seconds)
            try:
                await self._bump()
            except Exception:
                continue

    async def _run(self, namespaces: Sequence[str], *, bump: bool) -> list[int]:
        keys = [f"{self.prefix}{name}" for name in namespaces]
        values = await self.bypass.call(lambda: self._script(keys=keys, args=["1" if bump else "0"]))
        return [int(value) for value in values]


def build_generations(settings: Settings, client: Redis | None, bypass: RedisBypass) -> Generations:
    if client is not None:
        return RedisGenerations(client, settings.REDIS_PREFIX, bypass)
    url = make_url(settings.DATABASE_URL)
    if url.drivername.startswith("sqlite") and url.database and url.database != ":memory:":
        return SqliteGenerations(url.database)
    return MemoryGenerations()
