"""The access log's writer: requests queue their row and return; a background task inserts
the rows in batches, and a graceful shutdown (the app's lifespan) writes what is left.

The queue is bounded: when the database cannot keep up, rows are dropped and counted
rather than letting memory grow or making requests wait. A row the database refuses is
found by halving its batch, and logged; the rows written with it are kept.
"""

import asyncio
import contextlib
from typing import Any

import asyncpg
import sqlalchemy.exc
import structlog

from app.audit.repository import AccessLogRepository
from app.core.database import SessionFactory, database_unavailable, transaction

logger = structlog.get_logger("app.audit")

# What the database says of a row's values (too long, NULL, NUL in text, a wrong type),
# not of itself: by COPY, asyncpg's own errors; by INSERT, SQLAlchemy's.
REFUSED_ROWS = (
    sqlalchemy.exc.DataError,
    sqlalchemy.exc.IntegrityError,
    asyncpg.exceptions.DataError,
    asyncpg.exceptions.IntegrityConstraintViolationError,
)
BATCH_SIZE = 500
FLUSH_INTERVAL_SECONDS = 1.0
QUEUE_LIMIT = 10_000


class AccessLogWriter:
    def __init__(
        self,
        batch_size: int = BATCH_SIZE,
        flush_interval: float = FLUSH_INTERVAL_SECONDS,
        queue_limit: int = QUEUE_LIMIT,
    ) -> None:
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.dropped = 0
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=queue_limit)
        self._batch_ready = asyncio.Event()
        self._write_lock = asyncio.Lock()
        self._session_factory: SessionFactory | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def submit(self, row: dict[str, Any]) -> None:
        """Queue one row; never blocks the request."""
        try:
            self._queue.put_nowait(row)
        except asyncio.QueueFull:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                logger.warning("access_log_dropped", dropped=self.dropped, queue_limit=self._queue.maxsize)
            return
        if self._queue.qsize() >= self.batch_size:
            self._batch_ready.set()

    async def start(self, session_factory: SessionFactory) -> None:
        self._session_factory = session_factory
        self._task = asyncio.create_task(self._run(), name="access-log-writer")

    async def stop(self) -> None:
        """Let the background task finish its batch, then write every row still queued."""
        self._stopping = True
        self._batch_ready.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self.flush()

    async def flush(self) -> None:
        """Write every queued row now."""
        await self._write_queued(until_empty=True)

    async def _run(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._batch_ready.wait(), self.flush_interval)
            self._batch_ready.clear()
            # Only what is queued now: rows arriving meanwhile wait for the next full batch
            # or tick, so a busy server writes few large batches rather than many small ones.
            await self._write_queued(until_empty=False)

    async def _write_queued(self, until_empty: bool) -> None:
        async with self._write_lock:
            pending = self._queue.qsize()
            while pending > 0 or (until_empty and not self._queue.empty()):
                size = min(self.batch_size, self._queue.qsize())
                await self._write([self._queue.get_nowait() for _ in range(size)])
                pending -= size

    async def _write(self, batch: list[dict[str, Any]]) -> None:
        if self._session_factory is None:
            raise RuntimeError("AccessLogWriter.start() was not called")
        try:
            async with self._session_factory() as session, transaction(session):
                await AccessLogRepository(session).append(batch)
        except REFUSED_ROWS as exc:
            # The database refused a value: find the rows it refuses by halves, so the
            # others are kept (a batch holds the rows of many clients' requests).
            if len(batch) == 1:
                logger.error("access_log_row_refused", row=batch[0], error=repr(exc))
                return
            middle = len(batch) // 2
            await self._write(batch[:middle])
            await self._write(batch[middle:])
        except Exception as exc:
            # A lost batch must not stop the writer: later requests still get logged.
            if database_unavailable(exc):  # an outage: one line per batch, not a traceback
                logger.warning("access_log_write_failed", rows=len(batch), error=str(exc).splitlines()[0][:200])
            else:
                logger.exception("access_log_write_failed", rows=len(batch))
