"""Pure ASGI middleware: request id, access log line, metrics, body size limit."""

import logging
import re
import time
import uuid
from typing import Any

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.context import actor_id_var, api_key_id_var, request_id_var
from app.core.error_handlers import error_response
from app.core.metrics import observe_request
from app.core.trace_context import TRACEPARENT, response_traceparent

logger = structlog.get_logger("app.access")
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def resolve_request_id(supplied: str | None) -> str:
    if supplied and REQUEST_ID_PATTERN.fullmatch(supplied):
        return supplied
    return uuid.uuid4().hex


class BodyTooLarge(HTTPException):
    """The client sent more bytes than MAX_BODY_BYTES.

    An HTTPException, so that FastAPI re-raises it while parsing a streamed body (instead of
    turning it into a 400 "error parsing the body") and the error handlers answer 413.
    """

    def __init__(self) -> None:
        super().__init__(413, "Request body is too large")


class RequestContextMiddleware:
    """Request id, body limit, metrics and the access line for every response, errors included.

    Only the audit middleware sits outside it (to see the 413s and 500s answered here).
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        headers = Headers(scope=scope)
        request_id = self._bind_request_id(scope, headers)
        started = time.perf_counter()
        status_code = 500
        response_started = False

        async def send_with_ids(message: Message) -> None:
            nonlocal status_code, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status_code = message["status"]
                out = MutableHeaders(scope=message)
                out["X-Request-Id"] = request_id
                out["X-Trace-Id"] = request_id
                out[TRACEPARENT] = response_traceparent(headers)
            await send(message)

        try:
            declared = headers.get("content-length", "")
            if declared.isascii() and declared.isdigit() and int(declared) > self.max_body_bytes:
                raise BodyTooLarge
            await self.app(scope, self._limited(receive), send_with_ids)
        except BodyTooLarge:
            if not response_started:
                await self._send_error(send_with_ids, 413, "payload_too_large", "Request body is too large")
        except Exception:
            logger.exception("unhandled_error", method=scope["method"], path=scope["path"])
            if not response_started:
                await self._send_error(send_with_ids, 500, "internal_error", "Internal server error")
        finally:
            elapsed = time.perf_counter() - started
            self._record(scope, status_code, elapsed)

    @staticmethod
    def _bind_request_id(scope: Scope, headers: Headers) -> str:
        """The request's id (the client's `X-Request-Id` if well formed), bound to its log lines;
        the caller bound by an earlier request on this task is cleared."""
        request_id = resolve_request_id(headers.get("x-request-id"))
        request_id_var.set(request_id)
        actor_id_var.set(None)
        api_key_id_var.set(None)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        return request_id

    def _limited(self, receive: Receive) -> Receive:
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge
            return message

        return limited_receive

    @staticmethod
    async def _send_error(send: Send, status: int, code: str, message: str) -> None:
        response = error_response(status, code, message)

        async def no_body() -> Message:
            return {"type": "http.disconnect"}

        await response({"type": "http"}, no_body, send)

    @staticmethod
    def _record(scope: Scope, status_code: int, elapsed: float) -> None:
        route: Any = scope.get("route")
        template = getattr(route, "path", None) or "<unmatched>"
        observe_request(scope["method"], template, status_code, elapsed)
        if not logger.isEnabledFor(logging.INFO):
            return  # below the level (production's WARNING): not even formatted, let alone processed
        logger.info(
            f"{scope['method']} {scope['path']} -> {status_code} [{elapsed:.4f}s]",
            method=scope["method"],
            path=scope["path"],
            status=status_code,
            duration_ms=round(elapsed * 1000, 2),
        )
