"""Per-process memory of recently verified callers, valid while nothing auth-related changed.

Verifying a caller costs two queries (user + session + revocation, then permissions). This
keeps the result per token `jti`, tagged with the generation of the `auth` namespace in the
shared cache backend. Any committed write to a table that can change who may do what bumps
that generation (after commit, like the list cache), so every process's entries go stale
at once: a logout, a deactivation or a role change is honoured on the next request by
this process, and by the others once Redis has pushed them the new generation
(`PushedGenerations`). A request then costs neither a query nor a Redis read.

It is only used with Redis, where the generation is shared by every process that serves.
A failing Redis means a database check, never a stale answer.
"""

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

import structlog

from app.core.cache import CacheBackend
from app.core.config import Settings

logger = structlog.get_logger(__name__)

NAMESPACE = "auth"
# Tables whose rows decide whether a token is valid and what its holder may do.
AUTH_TABLES = frozenset(
    {"users", "roles", "role_grants", "user_roles", "auth_sessions", "user_revoked_tokens", "api_keys"}
)
MAX_ENTRIES = 10_000
# Belt and braces: an entry is re-checked against the database at least this often.
MAX_AGE_SECONDS = 60.0
RETRY_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class VerifiedCaller:
    user_id: int
    is_superuser: bool
    permissions: frozenset[str]
    # Set when the caller presented an API key (its id, and when it stops working).
    api_key_id: int | None = None
    expires_at: datetime | None = None


class PrincipalCache:
    def __init__(self, backend: CacheBackend | None) -> None:
        self.backend = backend
        self._entries: OrderedDict[str, tuple[int, float, VerifiedCaller]] = OrderedDict()
        self._bump_owed = False
        self._retry_task: asyncio.Task[None] | None = None

    async def generation(self) -> int | None:
        """The current generation, or None when the cache must not be used right now."""
        if self.backend is None or self._bump_owed:
            return None
        try:
            [generation] = await self.backend.generations([NAMESPACE])
        except Exception as exc:
            # Bumps may be missed while the backend is away: start afresh once it is back.
            self._entries.clear()
            logger.warning("principal_cache_unavailable", error=repr(exc))
            return None
        return generation

    def get(self, jti: str, generation: int) -> VerifiedCaller | None:
        found = self._entries.get(jti)
        if found is None or found[0] != generation or found[1] < time.monotonic():
            return None
        self._entries.move_to_end(jti)
        return found[2]

    def put(self, jti: str, generation: int, caller: VerifiedCaller) -> None:
        self._entries[jti] = (generation, time.monotonic() + MAX_AGE_SECONDS, caller)
        self._entries.move_to_end(jti)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)

    async def invalidate(self, tables: frozenset[str]) -> None:
        """After-commit hook: a new generation once an auth-related table was written."""
        if self.backend is None or not tables & AUTH_TABLES:
            return
        self._entries.clear()
        self._bump_owed = True
        await self._bump()
        if self._bump_owed and (self._retry_task is None or self._retry_task.done()):
            self._retry_task = asyncio.create_task(self._retry_bump(), name="principal-cache-bump-retry")

    async def close(self) -> None:
        if self._retry_task is not None:
            self._retry_task.cancel()

    async def _bump(self) -> None:
        assert self.backend is not None
        try:
            await self.backend.bump([NAMESPACE])
        except Exception as exc:
            logger.warning("principal_cache_bump_failed", error=repr(exc))
            return
        self._bump_owed = False

    async def _retry_bump(self) -> None:
        # Until the bump lands, this process answers from the database and other processes
        # may still trust entries older than the change: keep trying.
        while self._bump_owed:
            await asyncio.sleep(RETRY_SECONDS)
            await self._bump()


def build_principal_cache(settings: Settings, shared_backend: CacheBackend) -> PrincipalCache:
    """Cache callers only when the generation lives in Redis, where every process sees it.

    Without Redis nothing tells this process about a logout served by another one (another
    worker, host, or app instance on the same database), so every request asks the database.
    """
    return PrincipalCache(shared_backend if settings.REDIS_URL else None)
