"""`last_used_at`, to the minute, without a write per request.

A request made with a key only notes the key and the minute in memory (once per key and
minute); a background task writes what was noted every few seconds, in one statement, and
a graceful shutdown writes what is left. Several processes may note the same key: the
write keeps the latest minute.
"""

import asyncio
import contextlib
from datetime import datetime

import structlog

from app.auth.api_keys.repository import ApiKeyRepository
from app.core.database import SessionFactory, transaction
from app.core.models import utcnow

logger = structlog.get_logger(__name__)

FLUSH_INTERVAL_SECONDS = 10.0


class KeyUsageRecorder:
    def __init__(self, flush_interval: float = FLUSH_INTERVAL_SECONDS) -> None:
        self.flush_interval = flush_interval
        self._noted: dict[int, datetime] = {}  # the minute last noted, per key
        self._pending: dict[int, datetime] = {}
        self._session_factory: SessionFactory | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def record(self, key_id: int) -> None:
        minute = utcnow().replace(second=0, microsecond=0)
        if self._noted.get(key_id) != minute:
            self._noted[key_id] = self._pending[key_id] = minute

    def forget(self) -> None:
        """Drop what was noted and not yet written (for a database emptied under a running app)."""
        self._noted.clear()
        self._pending.clear()

    async def start(self, session_factory: SessionFactory) -> None:
        self._session_factory = session_factory
        self._task = asyncio.create_task(self._run(), name="api-key-usage-writer")

    async def stop(self) -> None:
        """Let the background task finish its write, then write what is left."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self.flush()

    async def flush(self) -> None:
        """Write what was noted since the last flush."""
        if self._session_factory is None or not self._pending:
            return
        pending, self._pending = self._pending, {}
        # Only this minute's notes can still suppress a write: the rest need not be kept.
        minute = utcnow().replace(second=0, microsecond=0)
        self._noted = {key_id: noted for key_id, noted in self._noted.items() if noted >= minute}
        try:
            async with self._session_factory() as session, transaction(session):
                await ApiKeyRepository(session).record_usage(pending)
        except Exception:
            # Usage is a hint for people, not a control: a lost batch is logged, the service goes on.
            logger.exception("api_key_usage_write_failed", keys=len(pending))

    async def _run(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.flush_interval)
            await self.flush()
