"""The application factory: settings in, a ready FastAPI app out."""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from functools import partial
from typing import Any

import redis.asyncio as redis
import structlog
from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from app.admin.routers import console_files
from app.admin.routers import router as admin_router
from app.audit import install_audit_hooks
from app.audit import routers as audit_routers
from app.audit.access_log import AccessLogWriter
from app.audit.history_routes import with_record_history
from app.audit.middleware import AuditMiddleware
from app.auth.api_keys.usage import KeyUsageRecorder
from app.auth.principal_cache import PrincipalCache
from app.auth.routers.api_keys import router as api_keys_router
from app.auth.routers.api_keys_openapi import document_api_keys
from app.auth.routers.auth import router as auth_router
from app.auth.routers.rbac import router as rbac_router
from app.auth.throttle import LoginThrottle
from app.auth.tokens import AccessTokenDecoder
from app.core import docs, health, landing
from app.core.cache import ListCache, MemoryEntries
from app.core.config import Settings, get_settings
from app.core.database import SessionFactory, create_engine, create_read_session_factory, create_session_factory
from app.core.error_handlers import register_error_handlers
from app.core.generations import Generations, database_generations
from app.core.logging import configure_logging
from app.core.middleware import RequestContextMiddleware
from app.core.openapi import document_errors
from app.core.outbox import OutboxSignal
from app.core.proxies import parse_trusted_proxies
from app.core.redis_cache import RedisBypass, RedisEntries, RedisGenerations
from app.core.relay import build_relay, running
from app.core.routing import TrailingSlashMiddleware
from app.core.runtime import tune_garbage_collector
from app.core.security_headers import SecurityHeadersMiddleware
from app.core.service import CrudService
from app.core.tracing import fastapi_telemetry, instrument_redis
from app.modules.customers.routers import router as customers_router
from app.modules.customers.service import CustomerService
from app.modules.posts.routers import router as posts_router
from app.modules.posts.service import PostService
from app.modules.products.routers import router as products_router
from app.modules.products.service import ProductService
from app.modules.registry import DOMAIN_MODULES
from app.modules.tasks.routers import router as tasks_router
from app.modules.tasks.service import TaskService
from app.modules.users.routers import router as users_router
from app.modules.users.service import UserService

VERSION = "1.0.0"
logger = structlog.get_logger(__name__)

# Each domain module of app/modules/registry.py: its router, and the service its history routes use.
_DOMAIN: dict[str, tuple[APIRouter, type[CrudService[Any]]]] = {
    "users": (users_router, UserService),
    "posts": (posts_router, PostService),
    "products": (products_router, ProductService),
    "tasks": (tasks_router, TaskService),
    "customers": (customers_router, CustomerService),
}
if set(_DOMAIN) != set(DOMAIN_MODULES):
    raise RuntimeError(f"app/main.py serves {sorted(_DOMAIN)}; app/modules/registry.py names {sorted(DOMAIN_MODULES)}")
# In the registry's order, history routes (history, versions, revert, restore) included.
DOMAIN_ROUTERS: dict[str, APIRouter] = {name: with_record_history(name, *_DOMAIN[name]) for name in DOMAIN_MODULES}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    app.state.engine = create_engine(settings)
    app.state.redis = connect_redis(settings)
    generations, app.state.list_cache = build_caches(settings, app.state.redis)
    app.state.principal_cache = PrincipalCache(generations)
    outbox_signal = OutboxSignal()
    app.state.session_factory = create_session_factory(
        app.state.engine,
        before_commit=[generations.before_commit],
        after_commit=[generations.after_commit, outbox_signal.after_commit],
    )
    app.state.read_session_factory = create_read_session_factory(app.state.engine)
    app.state.login_throttle = LoginThrottle(settings, app.state.redis)
    await app.state.access_log.start(app.state.session_factory)
    await app.state.api_key_usage.start(app.state.session_factory)
    relay: AbstractAsyncContextManager[Any] = (
        running(build_relay(settings, app.state.session_factory, outbox_signal))
        if settings.EVENTS_RELAY_IN_APP
        else nullcontext()
    )
    if settings.WORKERS > 1 and not generations.shared:
        logger.warning(
            "list_cache_per_process",
            reason="WORKERS > 1 on PostgreSQL without REDIS_URL: a write leaves other workers' lists until their TTL",
        )
    try:
        async with relay:
            tune_garbage_collector()
            yield
    finally:
        await app.state.access_log.stop()  # a graceful shutdown writes every queued access row
        await app.state.api_key_usage.stop()
        await generations.close()
        if app.state.redis is not None:
            await app.state.redis.aclose()
        await app.state.engine.dispose()


@asynccontextmanager
async def standalone_sessions(settings: Settings) -> AsyncIterator[SessionFactory]:
    """Sessions for a process that does not serve (the CLI): its commits bump the generations
    the serving processes read (in Redis, or in the SQLite file), as a request's commits do.

    On PostgreSQL without Redis nothing reaches them: their lists catch up within CACHE_TTL_SECONDS.
    """
    install_audit_hooks()
    engine = create_engine(settings)
    client = connect_redis(settings)
    generations, _ = build_caches(settings, client)
    try:
        yield create_session_factory(
            engine, before_commit=[generations.before_commit], after_commit=[generations.after_commit]
        )
    finally:
        await generations.close()
        if client is not None:
            await client.aclose()
        await engine.dispose()


def build_caches(settings: Settings, client: redis.Redis | None) -> tuple[Generations, ListCache]:
    """The generation counters, and the list cache keyed by them: in Redis, else in the database and this process."""
    if client is None:
        generations = database_generations(settings)
        return generations, ListCache(generations, MemoryEntries(), settings.CACHE_TTL_SECONDS)
    bypass = RedisBypass(settings.REDIS_TIMEOUT_SECONDS)
    pushed = RedisGenerations(client, settings.REDIS_PREFIX, bypass)
    pushed.start()
    return pushed, ListCache(pushed, RedisEntries(client, settings.REDIS_PREFIX, bypass), settings.CACHE_TTL_SECONDS)


def connect_redis(settings: Settings) -> redis.Redis | None:
    if not settings.REDIS_URL:
        return None
    # Short timeouts and a single retry: a Redis that is down must cost a request little (the cache bypasses it).
    client = redis.from_url(
        settings.REDIS_URL,
        socket_timeout=settings.REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=settings.REDIS_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 1),
    )
    instrument_redis(client, settings)
    return client


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)
    install_audit_hooks()
    app = FastAPIOffline(
        title="Enterprise API",
        version=VERSION,
        description="Users, posts, products, tasks and customers behind JWT, RBAC and a full audit trail.",
        lifespan=lifespan,
        openapi_tags=openapi_tags(),
        # app.core.docs serves /docs and /redoc without inline scripts (app.core.landing: ReDoc's bundle)
        docs_url=None,
        redoc_url=None,
        telemetry=fastapi_telemetry(settings),
    )
    app.openapi = partial(openapi_with_errors, app)  # type: ignore[method-assign]  # FastAPI's documented way to extend the schema
    app.state.settings = settings
    app.state.access_tokens = AccessTokenDecoder(settings)
    app.state.access_log = AccessLogWriter()
    app.state.trusted_proxies = parse_trusted_proxies(settings.TRUSTED_PROXIES)
    app.state.api_key_usage = KeyUsageRecorder()
    register_error_handlers(app)
    add_middleware(app, settings)
    include_routers(app, settings)
    return app


def add_middleware(app: FastAPI, settings: Settings) -> None:
    """Each one added wraps those before it: the last added is the outermost."""
    if settings.CORS_ORIGINS:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.CORS_ORIGINS,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=EXPOSED_HEADERS,
        )
    # Added first, so innermost: the access log records the path as it was sent.
    app.add_middleware(TrailingSlashMiddleware)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.MAX_BODY_BYTES)
    # Added last, so outermost: it sees every response, RequestContextMiddleware's own 413/500 too.
    app.add_middleware(AuditMiddleware, writer=app.state.access_log, trusted_proxies=settings.TRUSTED_PROXIES)
    # Outermost of all: every response gets the security headers, the error responses above too.
    app.add_middleware(SecurityHeadersMiddleware, hsts_seconds=settings.HSTS_SECONDS)


# The response headers a cross-origin page may read.
EXPOSED_HEADERS = [
    "X-Request-Id",
    "X-Trace-Id",
    "X-Total-Count",
    "X-Total-Count-Exact",
    "Link",
    "ETag",
    "Location",
    "X-Cache",
    "X-History-Complete",
    "traceparent",
]


def include_routers(app: FastAPI, settings: Settings) -> None:
    # The domain modules carry the traffic, and routes are matched in the order they were
    # included: theirs come first. Each is a PrefixedRouter, which declines a path outside
    # its prefix before FastAPI tries its routes one by one. No two routers share a path,
    # so the order changes only how soon a request finds its route.
    for router in (*DOMAIN_ROUTERS.values(), auth_router, api_keys_router, rbac_router, audit_routers.router):
        app.include_router(router, prefix=settings.API_PREFIX)
    app.include_router(health.router)
    app.include_router(landing.router)
    app.include_router(docs.router)
    app.include_router(admin_router, prefix=settings.API_PREFIX)
    app.mount(f"{settings.API_PREFIX}/admin/static", console_files, name="admin")


def __getattr__(name: str) -> Any:
    """`app`: the application built from the environment, for `uvicorn app.main:app` and
    `fastapi run app/main.py`.

    Built on first access rather than at import, so that importing this module (the tests,
    which build many apps with `create_app(settings)`, and the CLI) reads no settings and
    configures nothing. Building it connects to nothing either: that happens in `lifespan`.
    """
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    # `fastapi run` looks for the app in dir(module).
    return sorted({*globals(), "app"})


def openapi_with_errors(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, built on first use and kept, with the error envelope documented."""
    schema = app.openapi_schema
    if schema is None:
        schema = FastAPI.openapi(app)  # FastAPI keeps it in app.openapi_schema: documented here, once
        document_errors(schema)
        document_api_keys(app, schema)
    return schema


def openapi_tags() -> list[dict[str, Any]]:
    """The order of the sections in /docs: sign-in and permissions, the modules, audit, health."""
    modules = [str(tag) for router in DOMAIN_ROUTERS.values() for tag in router.tags]
    return [{"name": name} for name in ("auth", "rbac", *modules, "audit", "health")]
