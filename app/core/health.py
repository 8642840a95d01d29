"""Liveness, readiness and metrics: public (metrics behind METRICS_TOKEN when set), outside the access log."""

import asyncio
import secrets
from collections.abc import Awaitable
from typing import Any

import aio_pika
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.core.errors import Unauthorized
from app.core.metrics import render_metrics

router = APIRouter(tags=["health"])
CHECK_TIMEOUT_SECONDS = 2.0


@router.get("/health")
async def health() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/health/ready")
async def ready(request: Request) -> JSONResponse:
    """The database, and Redis and RabbitMQ when configured, answer."""
    state = request.app.state
    checks = {
        "database": await _check(_ping_database(request)),
        "redis": await _check(_ping_redis(state.redis)) if state.redis is not None else "disabled",
        "rabbitmq": await _check(_ping_rabbitmq(state.settings.RABBITMQ_URL))
        if state.settings.RABBITMQ_URL
        else "disabled",
    }
    healthy = all(value in ("ok", "disabled") for value in checks.values())
    return JSONResponse({"status": "ok" if healthy else "error", "checks": checks}, status_code=200 if healthy else 503)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus metrics; with METRICS_TOKEN set, only for `Authorization: Bearer <METRICS_TOKEN>`."""
    expected = request.app.state.settings.METRICS_TOKEN
    if expected:
        scheme, _, supplied = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(supplied.strip().encode(), expected.encode()):
            raise Unauthorized("A valid metrics token is required")
    body, content_type = render_metrics()
    return Response(body, media_type=content_type)


async def _check(probe: Awaitable[Any]) -> str:
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT_SECONDS)
    except Exception:
        return "error"
    return "ok"


async def _ping_database(request: Request) -> None:
    async with request.app.state.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def _ping_rabbitmq(url: str) -> None:
    connection = await aio_pika.connect(url, timeout=CHECK_TIMEOUT_SECONDS)
    await connection.close()


async def _ping_redis(client: Any) -> None:
    await client.ping()
