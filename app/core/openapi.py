"""The error envelope in the OpenAPI schema: each operation lists the errors it can answer with.

FastAPI documents a 422 with its own error model, which this API never sends (every error
leaves in the envelope, SPEC section 3), and documents no other error. `document_errors`
gives each operation the errors its shape implies; a route adds the ones only its
service knows of (a unique field's 409, a login's 401 and 429) with `responses=error_responses(...)`.
"""

import json
from typing import Any, Literal

from pydantic import BaseModel, Field

ERROR_SCHEMA = "ErrorBody"
_ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}
# FastAPI's validation error models, dropped from the schema once no operation refers to them.
_FASTAPI_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError")

_DESCRIPTIONS = {
    400: "The body is not UTF-8 text, or names what does not exist (a referenced id, a role, the current password)",
    401: "Missing, invalid or expired bearer token",
    403: "The caller lacks the operation's permission",
    404: "No such resource",
    409: "A unique field's value is already taken",
    412: "If-Match names a version other than the stored one",
    413: "The body is larger than MAX_BODY_BYTES",
    422: "The request failed validation: `details` lists each error's location, message and type",
    429: "Too many attempts: Retry-After says when to try again",
}
_WRITE_METHODS = frozenset({"post", "put", "patch"})


class ErrorBody(BaseModel):
    """The body of every error response."""

    success: Literal[False]
    message: str = Field(description="What went wrong, for a person")
    code: str = Field(description="What went wrong, for a program: not_found, validation_error, conflict, ...")
    details: list[dict[str, Any]] | None = Field(description="Per-field errors of a 422, else null")
    request_id: str = Field(description="The X-Request-Id of the request, to find it in the logs")


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route's errors beyond those its shape implies (see `document_errors`)."""
    return {status: {"model": ErrorBody, "description": _DESCRIPTIONS[status]} for status in statuses}


def document_errors(schema: dict[str, Any]) -> None:
    """Give every operation of `schema` (in place) the error responses its shape implies, in the envelope.

    422 where there are parameters or a body to validate, 401 where a bearer token is required,
    403 where a permission is, 404 under a path with an id, 412 with an If-Match header,
    400 and 413 with a body.
    """
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in _implied_errors(path, method, operation):
                responses[str(status)] = {
                    "description": _DESCRIPTIONS[status],
                    "content": {"application/json": {"schema": _ERROR_REF}},
                }
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault(ERROR_SCHEMA, ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}"))
    text = json.dumps(schema["paths"])
    for name in _FASTAPI_ERROR_SCHEMAS:
        if f"#/components/schemas/{name}" not in text:
            components.pop(name, None)


def _implied_errors(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    errors = []
    # Parameters and bodies are validated, by FastAPI or by a dependency reading them itself (a list's query).
    if operation.get("parameters") or "requestBody" in operation:
        errors.append(422)
    requirements = operation.get("security", [])
    if requirements:
        errors.append(401)
    if any(scopes for requirement in requirements for scopes in requirement.values()):
        errors.append(403)
    if "{" in path:
        errors.append(404)
    headers = {p.get("name", "").lower() for p in operation.get("parameters", []) if p.get("in") == "header"}
    if "if-match" in headers:
        errors.append(412)
    if method in _WRITE_METHODS and "requestBody" in operation:
        errors += [400, 413]
    return errors
