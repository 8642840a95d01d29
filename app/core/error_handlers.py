"""Every error the service can produce leaves in one envelope (SPEC section 3)."""

from collections.abc import Mapping
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.core.context import current_request_id
from app.core.database import database_unavailable
from app.core.errors import AppError

logger = structlog.get_logger(__name__)

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "service_unavailable",
}


def error_response(
    status_code: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {
        "success": False,
        "message": message,
        "code": code,
        "details": details,
        "request_id": current_request_id() or "",
    }
    return JSONResponse(body, status_code=status_code, headers=headers)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    # The offending input is left out on purpose: it may be a password.
    return [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type", "")}
        for error in exc.errors()
    ]


async def handle_app_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)


async def handle_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, "validation_error", "Validation error", _validation_details(exc))


async def handle_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = CODES_BY_STATUS.get(exc.status_code, "error" if exc.status_code < 500 else "internal_error")
    message = exc.detail if isinstance(exc.detail, str) else "Error"
    headers = exc.headers
    if exc.status_code == 405 and (allowed := _allowed_methods(request)):
        headers = {**(headers or {}), "Allow": allowed}
    return error_response(exc.status_code, code, message, headers=headers)


def _allowed_methods(request: Request) -> str:
    """Every method a route of the app takes at this request's path, as `Allow` lists them.

    Starlette's 405 names the methods of the first route that matched the path only:
    `DELETE /products` answered `Allow: GET` though `POST /products` exists too.
    """
    routes = request.app.router.routes
    return ", ".join(
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)
    )


# The driver's connect errors, which reach us unwrapped (see `database_unavailable`).
UNAVAILABLE_ERRORS = (OSError, PoolTimeout)


async def handle_unavailable(request: Request, exc: Exception) -> JSONResponse:
    if not database_unavailable(exc):
        return await handle_unexpected(request, exc)
    # One line, no traceback: an outage makes every request fail the same way.
    logger.warning("database_unavailable", error_type=type(exc).__name__, error=str(exc).splitlines()[0][:200])
    return error_response(503, "service_unavailable", "The database is unavailable; try again later")


async def handle_database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    if database_unavailable(exc):
        return await handle_unavailable(request, exc)
    # SQLSTATE class 22 is a value the database cannot take (a NUL in text, a number out of
    # range): the client's input, not a fault of ours. Anything else is a real 500.
    if str(getattr(exc.orig, "sqlstate", None) or "").startswith("22"):
        return error_response(422, "validation_error", "A value is out of range or contains invalid characters")
    return await handle_unexpected(request, exc)


async def handle_unexpected(_request: Request, exc: Exception) -> JSONResponse:
    # Log the whole story server-side; the client only learns that it failed and the request id.
    logger.exception("unhandled_error", error_type=type(exc).__name__)
    return error_response(500, "internal_error", "Internal server error")


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, handle_app_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.add_exception_handler(DBAPIError, handle_database_error)
    for unavailable in UNAVAILABLE_ERRORS:
        app.add_exception_handler(unavailable, handle_unavailable)
    app.add_exception_handler(Exception, handle_unexpected)
