"""Waiting for something that happens elsewhere (another task, process or server), with a deadline."""

import asyncio
from collections.abc import Awaitable, Callable

WAIT_SECONDS = 30.0


async def wait_until(condition: Callable[[], bool], seconds: float, describe: Callable[[], str] = lambda: "") -> None:
    async def check() -> bool:
        return condition()

    await eventually(check, seconds, describe)


async def eventually(
    check: Callable[[], Awaitable[bool]], seconds: float = WAIT_SECONDS, describe: Callable[[], str] = lambda: ""
) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {seconds}s: {describe()}")
        await asyncio.sleep(0.05)
