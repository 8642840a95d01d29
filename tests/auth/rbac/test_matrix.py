"""Every operation in the OpenAPI schema declares its permission, and that permission is enforced.

Permissions appear in the schema as OAuth2 scopes of the operation (see `require`).

A route added without `require(...)` (and not listed as public or self-service below)
fails `test_every_route_declares_one_permission`.
"""

import re

import httpx
from fastapi import FastAPI

from app.auth.rbac.catalogue import ACTIONS, all_modules
from tests.identities import bearer, create_identity

PUBLIC = {("POST", "/auth/login"), ("POST", "/auth/refresh"), ("GET", "/health"), ("GET", "/health/ready")}
# Any authenticated user may act on their own account.
SELF_SERVICE = {
    ("POST", "/auth/logout"),
    ("POST", "/auth/logout-all"),
    ("GET", "/auth/me"),
    ("PATCH", "/auth/me"),
    ("POST", "/auth/change-password"),
}


def schema_routes(app: FastAPI) -> list[tuple[str, str, list[str]]]:
    """(method, path, permissions) for every operation of the OpenAPI schema."""
    routes = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            requirements = operation.get("security", [])
            scopes = [scope for requirement in requirements for scopes in requirement.values() for scope in scopes]
            routes.append((method.upper(), path, scopes))
    return routes


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "999999", path)


async def test_every_route_declares_one_permission(app: FastAPI) -> None:
    undeclared = [
        f"{method} {path}"
        for method, path, permissions in schema_routes(app)
        if (method, path) not in PUBLIC | SELF_SERVICE and len(permissions) != 1
    ]

    assert undeclared == []


async def test_declared_permissions_exist_in_the_catalogue(app: FastAPI) -> None:
    for _, _, permissions in schema_routes(app):
        for granted in permissions:
            module, action = granted.split(":")
            assert module in all_modules()
            assert action in ACTIONS


async def test_each_route_is_403_without_its_permission_and_allowed_with_it(
    app: FastAPI, anon_client: httpx.AsyncClient
) -> None:
    for method, path, permissions in schema_routes(app):
        if not permissions:
            continue
        module, action = permissions[0].split(":")
        other_module = next(m for m in all_modules() if m != module)
        _, without = await create_identity(app, permissions={other_module: list(ACTIONS)})
        _, holder = await create_identity(app, permissions={module: [action]})

        denied = await anon_client.request(method, concrete(path), json={}, headers=bearer(without))
        allowed = await anon_client.request(method, concrete(path), json={}, headers=bearer(holder))
        anonymous = await anon_client.request(method, concrete(path), json={})

        assert denied.status_code == 403, f"{method} {path} without {module}:{action}"
        assert allowed.status_code not in (401, 403), f"{method} {path} with {module}:{action}: {allowed.text}"
        assert anonymous.status_code == 401, f"{method} {path} anonymous"


async def test_public_and_self_service_lists_match_the_schema(app: FastAPI) -> None:
    operations = {(method, path): permissions for method, path, permissions in schema_routes(app)}

    assert operations.keys() >= PUBLIC | SELF_SERVICE
    assert all(operations[operation] == [] for operation in PUBLIC | SELF_SERVICE)


async def test_self_service_routes_need_only_a_token(anon_client: httpx.AsyncClient) -> None:
    for method, path in SELF_SERVICE:
        response = await anon_client.request(method, path, json={})

        assert response.status_code == 401, f"{method} {path}"
