"""What the caches keep in Redis (REDIS_URL): generation counters and list entries.

Every call is bounded by REDIS_TIMEOUT_SECONDS, and after a failure Redis is bypassed for
a second (`RedisBypass`): the caller then falls back to the database, never to an error.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import structlog
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.cache import MemoryEntries
from app.core.generations import namespaces_of

logger = structlog.get_logger(__name__)
T = TypeVar("T")

# Each key: its value, or the clock in microseconds when missing (so a Redis that lost its
# data never hands out an old value again); then +1 when bumping, published to the channel.
_READ_OR_BUMP = """
local values = {}
for i, key in ipairs(KEYS) do
    local value = redis.call('GET', key)
    if not value then
        local now = redis.call('TIME')
        value = now[1] .. string.format('%06d', now[2])
        redis.call('SET', key, value)
    end
    if ARGV[1] == '1' then
        value = redis.call('INCR', key)
        redis.call('PUBLISH', ARGV[2], ARGV[i + 2] .. ' ' .. value)
    end
    values[i] = tonumber(value)
end
return values
"""
# Pushed values are trusted while the subscription answered a ping within this share of
# REDIS_TIMEOUT_SECONDS. A Redis that hangs is no longer trusted by anyone before a bump sent
# to it has timed out: a writer that got no answer reaches nobody who trusts an older value.
TRUST_SHARE = 0.6
RESUBSCRIBE_SECONDS = 1.0


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
    """Counters in Redis, bumped after commit and pushed to every process by pub/sub.

    Pushed values cost a request no round trip (bench-cpu, PostgreSQL: GET by id and the
    cached list each paid one more Redis call per request without them, ~120 us, +12% and
    +50%). A process reads from Redis instead while it is not subscribed or its
    subscription stopped answering. A bump that fails is owed: this process trusts no
    counter until it is paid (on its next read, or by a retry each second).
    """

    shared = True

    def __init__(self, client: Redis, prefix: str, bypass: RedisBypass) -> None:
        self.client = client
        self.prefix = f"{prefix}gen:"
        self.channel = f"{prefix}generations"
        self.bypass = bypass
        self._script = client.register_script(_READ_OR_BUMP)
        self._owed: set[str] = set()
        self._retry: asyncio.Task[None] | None = None
        self._pushed: dict[str, int] = {}
        self._trust_seconds = bypass.timeout * TRUST_SHARE
        self._trusted_until = 0.0
        self._epoch = 0  # +1 at each fresh subscription: a read in flight across one is not kept
        self._subscriber: asyncio.Task[None] | None = None

    async def read(self, namespaces: Sequence[str]) -> list[int]:
        if self._owed:
            await self._bump()
        pushed = self._pushed
        if time.monotonic() < self._trusted_until and all(name in pushed for name in namespaces):
            return [pushed[name] for name in namespaces]
        epoch = self._epoch
        values = await self._run(namespaces, bump=False)
        if epoch == self._epoch:
            for name, value in zip(namespaces, values, strict=True):
                pushed.setdefault(name, value)
        return values

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

    def start(self) -> None:
        self._subscriber = asyncio.create_task(self._subscribe(), name="generation-subscriber")

    async def clear(self) -> None:
        self._owed.clear()
        self._pushed = {}

    async def close(self) -> None:
        for task in (self._retry, self._subscriber):
            if task is not None:
                task.cancel()

    async def _bump(self) -> None:
        owed = sorted(self._owed)
        values = await self._run(owed, bump=True)
        self._owed.difference_update(owed)
        for name, value in zip(owed, values, strict=True):  # seen here before its message comes back
            self._pushed[name] = max(value, self._pushed.get(name, 0))

    async def _retry_owed(self) -> None:
        while self._owed:
            await asyncio.sleep(self.bypass.seconds)
            try:
                await self._bump()
            except Exception:
                continue

    async def _run(self, namespaces: Sequence[str], *, bump: bool) -> list[int]:
        keys = [f"{self.prefix}{name}" for name in namespaces]
        args = ["1" if bump else "0", self.channel, *namespaces]
        values = await self.bypass.call(lambda: self._script(keys=keys, args=args))
        return [int(value) for value in values]

    async def _subscribe(self) -> None:
        while True:
            try:
                async with self.client.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    await self._follow(pubsub)
            except Exception as exc:
                logger.debug("generation_subscriber_lost", error=repr(exc))
            self._trusted_until = 0.0
            await asyncio.sleep(RESUBSCRIBE_SECONDS)

    async def _follow(self, pubsub: PubSub) -> None:
        next_ping, interval = 0.0, self._trust_seconds / 3
        while True:
            if time.monotonic() >= next_ping:
                await pubsub.ping()
                next_ping = time.monotonic() + interval
            message = await pubsub.get_message(timeout=interval)
            if message is None:
                continue
            if message["type"] == "subscribe":  # also after the client reconnected by itself
                self._pushed = {}  # what was published before is unknown: read it again
                self._epoch += 1
            elif message["type"] == "message":
                name, _, value = _text(message["data"]).rpartition(" ")
                self._pushed[name] = max(int(value), self._pushed.get(name, 0))
            self._trusted_until = time.monotonic() + self._trust_seconds


class RedisEntries:
    """Entries shared by every process and host, each with its TTL.

    A hit is also kept in this process for a few seconds, under the same generation-bearing
    key (so a write makes it unreachable at once): a hot list costs no round trip (bench-cpu,
    PostgreSQL: the cached list cost ~+50% with the Redis GET).
    """

    NEAR_SECONDS = 5

    def __init__(self, client: Redis, prefix: str, bypass: RedisBypass) -> None:
        self.client = client
        self.prefix = f"{prefix}cache:"
        self.bypass = bypass
        self.near = MemoryEntries(256)

    async def get(self, key: str) -> bytes | None:
        found = await self.near.get(key)
        if found is None:
            value = await self.bypass.call(lambda: self.client.get(self.prefix + key))
            found = value.encode() if isinstance(value, str) else value
            if found is not None:
                await self.near.set(key, found, self.NEAR_SECONDS)
        return found

    async def set(self, key: str, value: bytes, ttl: int) -> None:
        await self.bypass.call(lambda: self.client.set(self.prefix + key, value, ex=ttl))
        await self.near.set(key, value, min(ttl, self.NEAR_SECONDS))

    async def clear(self) -> None:
        await self.near.clear()
        keys = [key async for key in self.client.scan_iter(f"{self.prefix}*")]
        if keys:
            await self.client.delete(*keys)


def _text(data: bytes | str) -> str:
    return data.decode() if isinstance(data, bytes) else data
