"""PostgreSQL advisory locks: one-off work that several processes may start at once (each
replica running `db upgrade` then `seed` on start) is done by one process at a time.

On SQLite there is nothing to take: it is one host's file, and its own lock serializes writers.
"""

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.engine import Connection

from app.core.config import Settings
from app.core.database import create_engine


def lock_key(name: str) -> int:
    """The 64-bit key PostgreSQL's advisory locks take, derived from a name."""
    return int.from_bytes(hashlib.sha256(f"enterprise-api:{name}".encode()).digest()[:8], "big", signed=True)


def lock_for_transaction(connection: Connection, name: str) -> None:
    """Wait for the lock `name`, held until the connection's transaction ends."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})


@asynccontextmanager
async def held(settings: Settings, name: str) -> AsyncIterator[None]:
    """Hold the lock `name` for the block, on a connection of its own (the block commits as it likes).

    A process that dies while holding it loses its connection, and with it the lock.
    """
    if settings.is_sqlite:
        yield
        return
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": lock_key(name)})
            await connection.commit()  # the lock outlives the transaction; the connection does not idle in one
            try:
                yield
            finally:
                await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": lock_key(name)})
                await connection.commit()
    finally:
        await engine.dispose()
