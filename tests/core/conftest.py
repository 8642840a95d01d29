"""Fixtures of the cache tests: the real Redis, each test under its own key prefix."""

import os
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis
from fastapi import FastAPI

from app.core.config import Settings
from tests.backends import Backend
from tests.conftest import make_settings

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL") or None


@pytest.fixture
def redis_url() -> str:
    if not TEST_REDIS_URL:
        pytest.skip("needs a real Redis: set TEST_REDIS_URL")
    return TEST_REDIS_URL


@pytest.fixture
async def redis_settings(backend: Backend, app: FastAPI, redis_url: str) -> AsyncIterator[Settings]:
    """Apps on the real Redis under this test's own REDIS_PREFIX, whose keys are deleted afterwards."""
    settings = make_settings(backend, REDIS_URL=redis_url)
    assert app.state.settings.DATABASE_URL == settings.DATABASE_URL
    yield settings
    client = redis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(f"{settings.REDIS_PREFIX}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
