"""Failed-login throttling per (client IP, email): Redis when configured, else this process."""

import time
from typing import Any

from app.core.errors import RateLimited


class LoginThrottle:
    def __init__(self, max_attempts: int, window_seconds: int, redis: Any | None, prefix: str) -> None:
        self.max_attempts = max_attempts
        self.window = window_seconds
        self.redis = redis
        self.prefix = f"{prefix}login-failures:"
        self._memory: dict[str, tuple[int, float]] = {}

    def _key(self, ip: str, email: str) -> str:
        return f"{self.prefix}{ip}:{email.lower()}"

    async def ensure_allowed(self, ip: str, email: str) -> None:
        """429 with Retry-After once the window holds `max_attempts` failures."""
        count, retry_after = await self._state(self._key(ip, email))
        if count >= self.max_attempts:
            raise RateLimited(retry_after, "Too many failed login attempts; try again later")

    async def record_failure(self, ip: str, email: str) -> None:
        key = self._key(ip, email)
        if self.redis is not None:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, self.window, nx=True)
                await pipe.execute()
            return
        count, expires = self._memory.get(key, (0, 0.0))
        now = time.monotonic()
        self._memory[key] = (count + 1, expires) if expires > now else (1, now + self.window)

    async def reset(self, ip: str, email: str) -> None:
        key = self._key(ip, email)
        if self.redis is not None:
            await self.redis.delete(key)
        else:
            self._memory.pop(key, None)

    async def _state(self, key: str) -> tuple[int, int]:
        if self.redis is not None:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.get(key)
                pipe.ttl(key)
                raw, ttl = await pipe.execute()
            return int(raw or 0), max(int(ttl), 1)
        count, expires = self._memory.get(key, (0, 0.0))
        remaining = expires - time.monotonic()
        if remaining <= 0:
            self._memory.pop(key, None)
            return 0, 0
        return count, int(remaining) + 1
