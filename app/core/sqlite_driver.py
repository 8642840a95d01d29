"""aiosqlite connections whose statements cost fewer hand-offs to the driver's thread.

aiosqlite runs every call on the sqlite3 connection in a thread of its own, and each call
is a round trip: a queue put, a wake-up of that thread, a wake-up of the event loop.
SQLAlchemy's adapter makes four per query (open a cursor, execute, fetch, close) and
three per write. These connections execute with the connection's own `execute` (the
cursor comes with it) and fetch only when the statement returns rows: two round trips
for a query, one for a write. Passed to the engine as its `async_creator`.
"""

import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import partial
from typing import Any

import aiosqlite


class _Cursor:
    """The cursor SQLAlchemy's aiosqlite adapter drives: opened without a round trip, executed
    and (for a query) fetched in the calls that need the thread, closed without one."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self._cursor: aiosqlite.Cursor | None = None
        self.arraysize = 1

    async def __aenter__(self) -> "_Cursor":
        return self

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> "_Cursor":
        self._cursor = await self._connection.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> "_Cursor":
        self._cursor = await self._connection.executemany(sql, parameters)
        return self

    @property
    def description(self) -> Any:
        return self._cursor.description if self._cursor is not None else None

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount if self._cursor is not None else -1

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid if self._cursor is not None else None

    async def fetchall(self) -> Iterable[Any]:
        return await self._opened().fetchall()

    async def fetchone(self) -> Any:
        return await self._opened().fetchone()

    async def fetchmany(self, size: int | None = None) -> Iterable[Any]:
        return await self._opened().fetchmany(size)

    async def close(self) -> None:
        # A statement that ran to its end (every write; a query once fetched) holds nothing
        # in SQLite: the sqlite3 cursor is left to be collected rather than closed by a round trip.
        self._cursor = None

    def _opened(self) -> aiosqlite.Cursor:
        if self._cursor is None:
            raise aiosqlite.ProgrammingError("the cursor has not executed a statement")
        return self._cursor


class Connection(aiosqlite.Connection):
    def cursor(self) -> _Cursor:  # type: ignore[override]  # aiosqlite's opens one in its thread
        return _Cursor(self)

    # SQLite begins a transaction at the first write, and a read opens none: a session that
    # only read ends (rollback) with nothing to end. sqlite3 answers `in_transaction` from the
    # connection's state, without a round trip.
    async def commit(self) -> None:
        if self.in_transaction:
            await super().commit()

    async def rollback(self) -> None:
        if self.in_transaction:
            await super().rollback()


def connector(database: str, **kwargs: Any) -> Callable[[], Awaitable[aiosqlite.Connection]]:
    """The engine's `async_creator` for a SQLite file: `kwargs` go to `sqlite3.connect`."""

    async def connect() -> aiosqlite.Connection:
        return await Connection(partial(sqlite3.connect, database, **kwargs), iter_chunk_size=64)

    return connect
