"""Fixtures of the event and cache tests: the real broker and Redis, each test with its own names."""

import os
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis
from fastapi import FastAPI

from app.core.config import Settings
from tests.backends import Backend
from tests.broker import delete_broker_objects
from tests.fixtures import make_settings

TEST_RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL") or None
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL") or None


@pytest.fixture
def rabbitmq_url() -> str:
    if not TEST_RABBITMQ_URL:
        pytest.skip("needs a real RabbitMQ: set TEST_RABBITMQ_URL")
    return TEST_RABBITMQ_URL


@pytest.fixture
def redis_url() -> str:
    if not TEST_REDIS_URL:
        pytest.skip("needs a real Redis: set TEST_REDIS_URL")
    return TEST_REDIS_URL


@pytest.fixture
async def event_settings(backend: Backend, committed: FastAPI, rabbitmq_url: str) -> AsyncIterator[Settings]:
    """Apps that relay to this test's own exchange, quickly, on `app`'s database (emptied, its commits real)."""
    settings = make_settings(
        backend,
        RABBITMQ_URL=rabbitmq_url,
        REDIS_URL=None,
        EVENTS_RELAY_IN_APP=True,
        EVENTS_POLL_SECONDS=0.1,
        EVENTS_MAX_BACKOFF_SECONDS=0.5,
    )
    assert committed.state.settings.DATABASE_URL == settings.DATABASE_URL
    yield settings
    await delete_broker_objects(rabbitmq_url, settings.EVENTS_EXCHANGE, [settings.EVENTS_QUEUE])


@pytest.fixture
async def redis_settings(backend: Backend, committed: FastAPI, redis_url: str) -> AsyncIterator[Settings]:
    """Apps on the real Redis under this test's own REDIS_PREFIX, whose keys are deleted afterwards."""
    settings = make_settings(backend, REDIS_URL=redis_url)
    assert committed.state.settings.DATABASE_URL == settings.DATABASE_URL
    yield settings
    client = redis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(f"{settings.REDIS_PREFIX}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
