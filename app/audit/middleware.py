"""Pure ASGI middleware, outside RequestContextMiddleware so it sees every response (its
413s and 500s included): after the response has gone, it queues the access-log row and
logs the business events the request committed."""

import time
from datetime import datetime

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.audit.access_log import AccessLogWriter
from app.audit.business_log import deferred_business_events, log_business_events
from app.core.context import current_actor_id, current_api_key_id, current_request_id
from app.core.models import utcnow
from app.core.proxies import client_ip, parse_trusted_proxies

UNLOGGED_PREFIXES = ("/health", "/metrics")
# The columns' lengths: PostgreSQL would refuse a longer value, and the row with it.
MAX_METHOD = 16
MAX_PATH = 1024
MAX_USER_AGENT = 512


def _storable(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, a NUL written as `%00`, as in the request line.

    PostgreSQL stores no NUL in text: a request to `/x/%00` would otherwise have its row
    refused, and go unlogged.
    """
    return text.replace("\x00", "%00")[:limit]


class AuditMiddleware:
    def __init__(self, app: ASGIApp, writer: AccessLogWriter, trusted_proxies: list[str]) -> None:
        self.app = app
        self.writer = writer
        self.trusted = parse_trusted_proxies(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started_at, started = utcnow(), time.perf_counter()
        status_code = 500

        async def capture_status(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
            await send(message)

        with deferred_business_events() as events:
            try:
                await self.app(scope, receive, capture_status)
            finally:
                duration_ms = (time.perf_counter() - started) * 1000
                log_business_events(events)
                if not scope["path"].startswith(UNLOGGED_PREFIXES):
                    self.writer.submit(self._row(scope, status_code, duration_ms, started_at))

    def _row(self, scope: Scope, status_code: int, duration_ms: float, started_at: datetime) -> dict[str, object]:
        headers = Headers(scope=scope)
        peer = scope.get("client")
        user_agent = headers.get("user-agent")
        return {
            # Set by authentication during the request, in this same context.
            "user_id": current_actor_id(),
            "api_key_id": current_api_key_id(),
            "ip": client_ip(peer[0] if peer else None, headers.get("x-forwarded-for"), self.trusted),
            "method": _storable(scope["method"], MAX_METHOD),  # httptools refuses odd methods, h11 takes any token
            "path": _storable(scope["path"], MAX_PATH),
            "status_code": status_code,
            "duration_ms": round(duration_ms, 3),
            "request_id": current_request_id(),
            "user_agent": _storable(user_agent, MAX_USER_AGENT) if user_agent else None,
            "created_at": started_at,
        }
