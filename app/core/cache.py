"""The list cache: entries keyed by their tables' generations (app.core.generations), in process memory or Redis.

A lookup reads the generations before the list is queried, so an entry filled from a read
that raced a write lands under the old generation and is never read again; entries
expire by CACHE_TTL_SECONDS. A cache that fails is bypassed (a miss, never an error).
"""

import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog

from app.core.generations import Generations

logger = structlog.get_logger(__name__)


class Entries(Protocol):
    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl: int) -> None: ...

    async def clear(self) -> None: ...


class MemoryEntries:
    """This process's entries, least recently used dropped first (odd query strings cannot grow it without end)."""

    def __init__(self, max_entries: int = 1024) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

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
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def clear(self) -> None:
        self._entries.clear()


@dataclass(frozen=True, slots=True)
class CacheLookup:
    key: str
    value: bytes | None


class ListCache:
    def __init__(self, generations: Generations, entries: Entries, ttl_seconds: int) -> None:
        self.generations = generations
        self.entries = entries
        self.ttl_seconds = ttl_seconds

    async def lookup(self, namespaces: Sequence[str], query_digest: str) -> CacheLookup | None:
        """The entry's key and cached value (None on a miss); None when the cache cannot be used."""
        if self.ttl_seconds == 0:
            return None
        try:
            generations = await self.generations.read(namespaces)
            key = ",".join(f"{n}.{g}" for n, g in zip(namespaces, generations, strict=True)) + f":{query_digest}"
            return CacheLookup(key, await self.entries.get(key))
        except Exception as exc:
            logger.debug("list_cache_bypassed", error=repr(exc))
            return None

    async def store(self, key: str, value: bytes) -> None:
        try:
            await self.entries.set(key, value, self.ttl_seconds)
        except Exception as exc:
            logger.debug("list_cache_not_stored", error=repr(exc))

    async def clear(self) -> None:
        await self.entries.clear()
        await self.generations.clear()
