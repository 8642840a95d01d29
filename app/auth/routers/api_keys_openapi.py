"""The OpenAPI schema's word on API keys: `X-API-Key` as a second way into every protected
operation except those a key may not use (managing keys, sessions and passwords)."""

from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant

from app.auth.dependencies import get_signed_in_principal

SCHEME = "APIKeyHeader"
_SCHEME_BODY = {
    "type": "apiKey",
    "in": "header",
    "name": "X-API-Key",
    "description": "An API key (`ak_...`); `Authorization: Bearer ak_...` works too. See POST /auth/api-keys.",
}


def document_api_keys(app: FastAPI, schema: dict[str, Any]) -> None:
    """Add the scheme to `schema` (in place), as an alternative to the bearer token where a key is accepted."""
    schema.setdefault("components", {}).setdefault("securitySchemes", {})[SCHEME] = _SCHEME_BODY
    # The routes as FastAPI's own schema builder walks them (included routers resolved).
    refused = {
        (method.lower(), route.path_format)
        for route in routing.iter_route_contexts(app.routes)
        if isinstance(getattr(route, "dependant", None), Dependant) and _depends_on_signed_in(route.dependant)
        for method in route.methods or ()
    }
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if operation.get("security") and (method, path) not in refused:
                operation["security"].append({SCHEME: []})


def _depends_on_signed_in(dependant: Dependant) -> bool:
    return dependant.call is get_signed_in_principal or any(map(_depends_on_signed_in, dependant.dependencies))
