"""Login throttling: password checks per (client, email), failures per email across all clients.

A slot is reserved before the password is checked, in one atomic step, so parallel guesses
cannot all pass a check made before any of them failed. In Redis when configured, so every
process counts together; in this process when Redis is not configured, down or too slow.
"""

import asyncio
import math
import time
from typing import Any

import structlog
from redis.exceptions import RedisError

from app.core.config import Settings
from app.core.errors import RateLimited

logger = structlog.get_logger(__name__)

# KEYS: the (client, email) key, the email key. ARGV: their limits, the window in seconds.
# Returns 0 with both counters taken, or the milliseconds until the full one's window ends.
RESERVE = """
local client = tonumber(redis.call('GET', KEYS[1]) or '0')
if client >= tonumber(ARGV[1]) then return math.max(redis.call('PTTL', KEYS[1]), 1) end
local account = tonumber(redis.call('GET', KEYS[2]) or '0')
if account >= tonumber(ARGV[2]) then return math.max(redis.call('PTTL', KEYS[2]), 1) end
if redis.call('INCR', KEYS[1]) == 1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
if redis.call('INCR', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], ARGV[3]) end
return 0
"""
# A success: the client starts afresh, and its slot is not a failure of the account.
RELEASE = """
redis.call('DEL', KEYS[1])
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
return 0
"""
# After Redis failed, it is left alone this long: a dead Redis costs one timeout, not one per login.
REDIS_RETRY_SECONDS = 5.0
MAX_MEMORY_KEYS = 100_000
TOO_MANY = "Too many failed login attempts; try again later"


class MemoryCounters:
    """Windowed counters of this process: the fallback, and the store when there is no Redis."""

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, float]] = {}

    def reserve(self, keys: tuple[str, str], limits: tuple[int, int], window: int) -> float:
        now = time.monotonic()
        if len(self._counts) > MAX_MEMORY_KEYS:  # many distinct emails: drop the windows that ended
            self._counts = {key: entry for key, entry in self._counts.items() if entry[1] > now}
        for key, limit in zip(keys, limits, strict=True):
            count, expires = self._live(key, now)
            if count >= limit:
                return expires - now
        for key in keys:
            count, expires = self._live(key, now)
            self._counts[key] = (count + 1, expires if count else now + window)
        return 0.0

    def release(self, keys: tuple[str, str]) -> None:
        client, account = keys
        self._counts.pop(client, None)
        count, expires = self._live(account, time.monotonic())
        if count > 0:
            self._counts[account] = (count - 1, expires)

    def _live(self, key: str, now: float) -> tuple[int, float]:
        count, expires = self._counts.get(key, (0, 0.0))
        if expires <= now:
            self._counts.pop(key, None)
            return 0, 0.0
        return count, expires


class LoginThrottle:
    def __init__(self, settings: Settings, redis: Any | None) -> None:
        self.limits = (settings.LOGIN_MAX_ATTEMPTS, settings.LOGIN_MAX_ATTEMPTS_PER_ACCOUNT)
        self.window = settings.LOGIN_WINDOW_SECONDS
        self.timeout = settings.REDIS_TIMEOUT_SECONDS
        self.prefix = f"{settings.REDIS_PREFIX}login:"
        self.redis = redis
        self.memory = MemoryCounters()
        self._redis_down_until = 0.0
        self._reserve = redis.register_script(RESERVE) if redis is not None else None
        self._release = redis.register_script(RELEASE) if redis is not None else None

    def _keys(self, client: str, email: str) -> tuple[str, str]:
        email = email.strip().lower()
        return f"{self.prefix}client:{client}:{email}", f"{self.prefix}account:{email}"

    async def reserve(self, client: str, email: str) -> None:
        """Take a password check for (client, email), or 429 with Retry-After when none is left."""
        keys = self._keys(client, email)
        waited_ms = await self._in_redis(self._reserve, keys, [*self.limits, self.window])
        wait = waited_ms / 1000 if waited_ms is not None else self.memory.reserve(keys, self.limits, self.window)
        if wait > 0:
            raise RateLimited(math.ceil(wait), TOO_MANY)

    async def succeeded(self, client: str, email: str) -> None:
        """The password was right: the client's count starts afresh, the account's slot is given back."""
        keys = self._keys(client, email)
        if await self._in_redis(self._release, keys, []) is None:
            self.memory.release(keys)

    async def _in_redis(self, script: Any | None, keys: tuple[str, str], args: list[int]) -> int | None:
        """The script's answer, or None to count in this process (no Redis, or Redis failing)."""
        if script is None or time.monotonic() < self._redis_down_until:
            return None
        try:
            async with asyncio.timeout(self.timeout):
                return int(await script(keys=list(keys), args=args))
        except (RedisError, OSError, TimeoutError) as exc:
            self._redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
            logger.warning("login_throttle_in_process", reason="Redis failed", error=type(exc).__name__)
            return None
