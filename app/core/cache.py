"""The list cache: entries keyed by per-namespace generations, in Redis or in process memory.

A committed write bumps the generation of each table it wrote; entries under an older
generation are never read again and expire by TTL. Readers read the generation before
querying, so an entry filled from a read that raced a write lands under the old one.
A cache that fails is bypassed for a moment, never an error for the request.

With Redis, generations are pushed rather than polled: a bump increments the key and
publishes the new value in one script, and every process keeps the values it was told
(`PushedGenerations`), so reading a generation costs no round trip. A process that is
not subscribed (starting, or its connection lost) reads them from Redis instead. Entries
found in Redis are also kept in process memory for a few seconds (the near copy), under
the same generation-bearing key.
"""

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog
from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from app.core.config import Settings

logger = structlog.get_logger(__name__)

# Tables some cached list reads, declared by the routes at import time, so the same in every
# process. Writes to other tables (the outbox, tokens, ...) need no generation bump.
_CACHED_NAMESPACES: set[str] = set()


def register_namespaces(namespaces: Iterable[str]) -> None:
    _CACHED_NAMESPACES.update(namespaces)


class CacheBackend(Protocol):
    async def generations(self, namespaces: Sequence[str]) -> list[int]: ...

    async def bump(self, namespaces: Iterable[str]) -> None: ...

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl: int) -> None: ...

    async def clear(self) -> None: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


class MemoryBackend:
    """One process's cache (no REDIS_URL): right for one worker; see docs/DEPLOYMENT.md."""

    def __init__(self, max_entries: int = 1024) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._generations: dict[str, int] = {}

    async def generations(self, namespaces: Sequence[str]) -> list[int]:
        return [self._generations.get(name, 0) for name in namespaces]

    async def bump(self, namespaces: Iterable[str]) -> None:
        for name in namespaces:
            self._generations[name] = self._generations.get(name, 0) + 1

    async def get(self, key: str) -> bytes | None:
        found = self._entries.get(key)
        if found is None or found[0] < time.monotonic():
            self._entries.pop(key, None)
            return None
        self._entries.move_to_end(key)
        return found[1]

    async def set(self, key: str, value: bytes, ttl: int) -> None:
        self._entries[key] = (time.monotonic() + ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:  # bounded: odd query strings cannot grow it without end
            self._entries.popitem(last=False)

    async def clear(self) -> None:
        self._entries.clear()
        self._generations.clear()

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass


# INCR each generation and publish its new value, atomically: subscribers see the bumps of
# one key in the order Redis made them.
_BUMP_SCRIPT = """
local values = {}
for i, key in ipairs(KEYS) do
    values[i] = redis.call('INCR', key)
    redis.call('PUBLISH', ARGV[1], ARGV[i + 1] .. ' ' .. values[i])
end
return values
"""
RESUBSCRIBE_SECONDS = 1.0
# Entries read from Redis are also kept in process memory this long (at most), so a hot
# list costs no round trip. They are keyed by generation like the shared ones: a write
# makes them unreachable at once, the bound only matters if an invalidation was lost.
NEAR_SECONDS = 5
NEAR_ENTRIES = 256


class PushedGenerations:
    """This process's copy of the shared generations, kept current by Redis pub/sub.

    Values are trusted only while subscribed (`live`). Subscribing, or subscribing again
    after a lost connection, starts from an empty copy: what was published meanwhile was
    missed, so each generation is read from Redis once more before it is used.
    """

    def __init__(self, client: Redis, channel: str) -> None:
        self.client = client
        self.channel = channel
        self.values: dict[str, int] = {}
        self.live = False
        # Changes whenever the copy is started afresh: a read from Redis that was in flight
        # across such a change may be older than a bump that was missed, and is not kept.
        self.epoch = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="cache-generations-subscriber")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def learned(self, epoch: int, namespaces: Sequence[str], values: Sequence[int]) -> None:
        """Keep generations read from Redis, unless a fresh start happened since the read."""
        if self.live and epoch == self.epoch:
            for name, value in zip(namespaces, values, strict=True):
                self.values.setdefault(name, value)

    def bumped(self, namespaces: Sequence[str], values: Sequence[int]) -> None:
        """This process's own bump: seen at once, before its message comes back."""
        for name, value in zip(namespaces, values, strict=True):
            if value > self.values.get(name, 0):
                self.values[name] = value

    async def _run(self) -> None:
        while True:
            try:
                async with self.client.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    await self._follow(pubsub)
            except Exception as exc:
                if self.live:
                    logger.warning("cache_generations_unsubscribed", error=repr(exc))
            finally:
                self._reset(live=False)
            await asyncio.sleep(RESUBSCRIBE_SECONDS)

    async def _follow(self, pubsub: PubSub) -> None:
        async for message in pubsub.listen():
            if message["type"] == "subscribe":  # also after the client reconnected by itself
                self._reset(live=True)
            elif message["type"] == "message":
                name, _, value = _text(message["data"]).rpartition(" ")
                # Published in the order Redis incremented: the latest message is the value,
                # even one lower than before (the keys were flushed).
                self.values[name] = int(value)

    def forget(self) -> None:
        """Start afresh (the keys were deleted): read each generation from Redis again."""
        self._reset(live=self.live)

    def _reset(self, live: bool) -> None:
        self.values = {}
        self.epoch += 1
        self.live = live


class RedisBackend:
    """Shared by every process and host; generation keys never expire, entries do (TTL)."""

    def __init__(self, client: Redis, prefix: str, timeout: float) -> None:
        self.client = client
        self.prefix = f"{prefix}cache:"
        self.timeout = timeout
        self.pushed = PushedGenerations(client, f"{self.prefix}generations")
        self.near = MemoryBackend(NEAR_ENTRIES)
        self._bump_script = client.register_script(_BUMP_SCRIPT)

    async def generations(self, namespaces: Sequence[str]) -> list[int]:
        pushed = self.pushed
        if pushed.live:
            known = pushed.values
            if all(name in known for name in namespaces):
                return [known[name] for name in namespaces]
        epoch = pushed.epoch
        async with asyncio.timeout(self.timeout):
            values = await self.client.mget([self._generation_key(name) for name in namespaces])
        generations = [int(value or 0) for value in values]
        pushed.learned(epoch, namespaces, generations)
        return generations

    async def bump(self, namespaces: Iterable[str]) -> None:
        names = sorted(namespaces)
        async with asyncio.timeout(self.timeout):
            values = await self._bump_script(
                keys=[self._generation_key(name) for name in names], args=[self.pushed.channel, *names]
            )
        self.pushed.bumped(names, [int(value) for value in values])

    async def get(self, key: str) -> bytes | None:
        near = await self.near.get(key)
        if near is not None:
            return near
        async with asyncio.timeout(self.timeout):
            value = await self.client.get(f"{self.prefix}entry:{key}")
        found = value.encode() if isinstance(value, str) else value
        if found is not None:
            await self.near.set(key, found, NEAR_SECONDS)
        return found

    async def set(self, key: str, value: bytes, ttl: int) -> None:
        async with asyncio.timeout(self.timeout):
            await self.client.set(f"{self.prefix}entry:{key}", value, ex=ttl)
        await self.near.set(key, value, min(ttl, NEAR_SECONDS))

    async def clear(self) -> None:
        keys = [key async for key in self.client.scan_iter(f"{self.prefix}*")]
        if keys:
            await self.client.delete(*keys)
        await self.near.clear()
        self.pushed.forget()

    async def start(self) -> None:
        self.pushed.start()

    async def close(self) -> None:
        await self.pushed.close()

    def _generation_key(self, namespace: str) -> str:
        return f"{self.prefix}gen:{namespace}"


def _text(data: bytes | str) -> str:
    return data.decode() if isinstance(data, bytes) else data


@dataclass(frozen=True, slots=True)
class CacheLookup:
    key: str
    value: bytes | None


class ListCache:
    def __init__(self, backend: CacheBackend, ttl_seconds: int, bypass_seconds: float = 1.0) -> None:
        self.backend = backend
        self.ttl_seconds = ttl_seconds
        self.bypass_seconds = bypass_seconds
        self._down_until = 0.0
        # Generations a failed invalidation still owes: bumped before this process reads again.
        self._owed: set[str] = set()
        self._retry_task: asyncio.Task[None] | None = None
        # Bumps are made in rounds, one at a time (see `_bump`): the names the next round
        # takes, how many rounds have started, and the outcome of the one in flight.
        self._queued: set[str] = set()
        self._rounds_started = 0
        self._round: asyncio.Future[bool] | None = None

    async def lookup(self, namespaces: Sequence[str], query_digest: str) -> CacheLookup | None:
        """The entry's key and cached value (None on a miss); None when the cache cannot be used."""
        if self.ttl_seconds == 0 or self._bypassing():
            return None
        try:
            if self._owed:
                await self._bump(self._owed)
            generations = await self.backend.generations(namespaces)
            key = ",".join(f"{n}.{g}" for n, g in zip(namespaces, generations, strict=True)) + f":{query_digest}"
            value = await self.backend.get(key)
        except Exception as exc:
            self._failed("lookup", exc)
            return None
        self._succeeded()
        return CacheLookup(key, value)

    async def store(self, key: str, value: bytes) -> None:
        try:
            await self.backend.set(key, value, self.ttl_seconds)
        except Exception as exc:
            self._failed("store", exc)

    async def invalidate(self, tables: frozenset[str]) -> None:
        """After-commit hook: a new generation for each cached table the transaction wrote."""
        cached = tables & _CACHED_NAMESPACES
        if not cached:
            return
        if self._bypassing():
            self._owed |= cached
            self._schedule_retry()
            return
        try:
            await self._bump(cached)
        except Exception as exc:
            self._failed("invalidate", exc)
            self._schedule_retry()
            return
        self._succeeded()

    async def clear(self) -> None:
        self._owed.clear()
        await self.backend.clear()

    async def start(self) -> None:
        await self.backend.start()

    async def close(self) -> None:
        if self._retry_task is not None:
            self._retry_task.cancel()
        await self.backend.close()

    async def _bump(self, names: Iterable[str]) -> None:
        """Bump `names`' generations in a round that starts after this call, shared by concurrent writers.

        A write's bump must start after its commit, so a writer that commits while a round
        is in flight waits for it to end and joins the next one, with every other writer
        that committed meanwhile: under load one round trip covers many writes instead of
        each paying its own. The first writer to find no round in flight runs the next.
        """
        self._queued.update(names)
        mine = self._rounds_started + 1  # the next round to start takes what was just queued
        while True:
            round_ = self._round
            if round_ is None:
                await self._run_round()
                return
            number = self._rounds_started
            # Not cancelled with this caller: the writers waiting beside it still need the round.
            await asyncio.wait([round_])
            if number >= mine and round_.result():  # the round's error, if it failed, is this caller's too
                return

    async def _run_round(self) -> None:
        names, self._queued = self._queued, set()
        self._rounds_started += 1
        # What the writers waiting on it learn: True once bumped, False if abandoned (the
        # next round takes its names), or the error it failed with.
        round_: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._round = round_
        try:
            await self.backend.bump(names)
        except Exception as exc:
            self._owed |= names
            round_.set_exception(exc)
            round_.exception()  # raised here; waiters, if any, raise it too
            raise
        except BaseException:
            # This caller was cancelled (a shutdown): writers waiting on the round take its
            # names into the next one; until a round has bumped them they are owed as well,
            # paid before this process reads and by the retry if nobody else writes.
            self._queued |= names
            self._owed |= names
            self._schedule_retry()
            round_.set_result(False)
            raise
        else:
            self._owed -= names  # a later bump covers the earlier writes it was owed for
            round_.set_result(True)
        finally:
            self._round = None

    def _schedule_retry(self) -> None:
        # Other processes keep their (now stale) entries until this bump lands or the TTL ends.
        if self._retry_task is None or self._retry_task.done():
            self._retry_task = asyncio.create_task(self._retry_pending(), name="cache-invalidation-retry")

    async def _retry_pending(self) -> None:
        while self._owed:
            await asyncio.sleep(self.bypass_seconds)
            try:
                await self._bump(self._owed)
            except Exception:
                continue
            self._succeeded()

    def _bypassing(self) -> bool:
        return time.monotonic() < self._down_until

    def _failed(self, operation: str, exc: Exception) -> None:
        if not self._down_until:
            logger.warning("cache_unavailable", operation=operation, error=repr(exc))
        self._down_until = time.monotonic() + self.bypass_seconds

    def _succeeded(self) -> None:
        if self._down_until:
            logger.info("cache_recovered")
            self._down_until = 0.0


def build_list_cache(client: Redis | None, settings: Settings) -> ListCache:
    backend: CacheBackend = (
        RedisBackend(client, settings.REDIS_PREFIX, settings.REDIS_TIMEOUT_SECONDS)
        if client is not None
        else MemoryBackend()
    )
    return ListCache(backend, settings.CACHE_TTL_SECONDS)
