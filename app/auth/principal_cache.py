"""Per-process memory of recently verified callers, valid while nothing auth-related changed.

Verifying a caller costs two queries (user + session + revocation, then permissions). This
keeps the result per token `jti`, tagged with the `auth` generation (app.core.generations)
read before verifying. Any committed write to a table that can change who may do what
bumps that generation, so a logout, a deactivation or a role change is honoured at the
next request by every process reading the same counters: on Redis, or in the SQLite file.

Counters kept in one process's memory (PostgreSQL without Redis) would not see another
process's logout: then this memory is off and every request asks the database. A counter
that cannot be read (Redis down or hanging) means a database check, never a stale answer.
"""

import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

import structlog

from app.core.generations import Generations, watch

logger = structlog.get_logger(__name__)

NAMESPACE = "auth"
# Tables whose rows decide whether a token is valid and what its holder may do.
AUTH_TABLES = frozenset(
    {"users", "roles", "role_grants", "user_roles", "auth_sessions", "user_revoked_tokens", "api_keys"}
)
watch(NAMESPACE, AUTH_TABLES)
MAX_ENTRIES = 10_000
# Belt and braces: an entry is re-checked against the database at least this often.
MAX_AGE_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class VerifiedCaller:
    user_id: int
    is_superuser: bool
    permissions: frozenset[str]
    # Set when the caller presented an API key (its id, and when it stops working).
    api_key_id: int | None = None
    expires_at: datetime | None = None


class PrincipalCache:
    def __init__(self, generations: Generations) -> None:
        self.generations = generations if generations.shared else None
        self._entries: OrderedDict[str, tuple[int, float, VerifiedCaller]] = OrderedDict()

    async def generation(self) -> int | None:
        """The current generation, or None when the cache must not be used right now."""
        if self.generations is None:
            return None
        try:
            [generation] = await self.generations.read([NAMESPACE])
        except Exception as exc:
            # Bumps may be missed while the counters are away: start afresh once they are back.
            self._entries.clear()
            logger.debug("principal_cache_bypassed", error=repr(exc))
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

    def clear(self) -> None:
        self._entries.clear()
