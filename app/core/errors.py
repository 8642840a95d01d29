"""Domain errors. Services raise these; `app.core.error_handlers` turns them into HTTP."""

from typing import Any, ClassVar


class AppError(Exception):
    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    default_message: ClassVar[str] = "Internal server error"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details = details
        self.headers = headers
        super().__init__(self.message)


class BadRequest(AppError):
    status_code = 400
    code = "bad_request"
    default_message = "Bad request"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"
    default_message = "Not authenticated"

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.headers = {"WWW-Authenticate": "Bearer", **(self.headers or {})}


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    default_message = "Not enough permissions"


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    default_message = "Not found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    default_message = "Conflict"


class PreconditionFailed(AppError):
    status_code = 412
    code = "precondition_failed"
    default_message = "The resource was changed by someone else (version mismatch)"


class ValidationFailed(AppError):
    status_code = 422
    code = "validation_error"
    default_message = "Validation error"


class RateLimited(AppError):
    status_code = 429
    code = "rate_limited"
    default_message = "Too many requests"

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message, headers={"Retry-After": str(max(retry_after, 1))})
