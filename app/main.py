"""The application factory: settings in, a ready FastAPI app out."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as redis
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline

from app.audit import routers as audit_routers
from app.audit.access_log import AccessLogWriter
from app.audit.middleware import AuditMiddleware
from app.auth.rbac.routers import router as rbac_router
from app.auth.routers import router as auth_router
from app.auth.throttle import LoginThrottle
from app.core import health, landing
from app.core.config import Settings, get_settings
from app.core.database import create_engine, create_session_factory
from app.core.error_handlers import register_error_handlers
from app.core.logging import configure_logging
from app.core.middleware import RequestContextMiddleware
from app.modules.registry import DOMAIN_MODULES

VERSION = "1.0.0"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    app.state.engine = create_engine(settings)
    app.state.session_factory = create_session_factory(app.state.engine)
    app.state.redis = redis.from_url(settings.REDIS_URL) if settings.REDIS_URL else None
    app.state.login_throttle = LoginThrottle(
        settings.LOGIN_MAX_ATTEMPTS, settings.LOGIN_WINDOW_SECONDS, app.state.redis, settings.REDIS_PREFIX
    )
    await app.state.access_log.start(app.state.session_factory)
    try:
        yield
    finally:
        await app.state.access_log.stop()  # a graceful shutdown writes every queued access row
        if app.state.redis is not None:
            await app.state.redis.aclose()
        await app.state.engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)
    app = FastAPIOffline(
        title="Enterprise API",
        version=VERSION,
        description="Users, posts, products, tasks and customers behind JWT, RBAC and a full audit trail.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.access_log = AccessLogWriter()
    register_error_handlers(app)
    if settings.CORS_ORIGINS:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.CORS_ORIGINS,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-Id", "X-Trace-Id", "X-Total-Count", "Link", "ETag", "Location", "X-Cache"],
        )
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.MAX_BODY_BYTES)
    # Added last, so outermost: it sees every response, RequestContextMiddleware's own 413/500 too.
    app.add_middleware(AuditMiddleware, writer=app.state.access_log, trusted_proxies=settings.TRUSTED_PROXIES)

    app.include_router(landing.router)
    app.include_router(health.router)
    for router in (auth_router, rbac_router, audit_routers.router, *DOMAIN_MODULES.values()):
        app.include_router(router, prefix=settings.API_PREFIX)
    return app
