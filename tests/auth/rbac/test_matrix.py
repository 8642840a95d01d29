"""Every operation in the OpenAPI schema declares its permissions, and they are enforced.

Permissions appear in the schema as OAuth2 scopes of the operation (see `require`).

A route added without `require(...)` (and not listed as public or self-service below)
fails `test_every_route_declares_its_permissions`; a route added to the schema is walked
by the generated matrix at the end of this file.
"""

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.auth.api_keys.service import ApiKeyService
from app.auth.rbac.catalogue import ACTIONS, all_modules, scopes
from app.core.ownership import OWN, SCOPED_ACTIONS
from tests.factories import create_customer, create_post, create_product, create_task, insert_users, unique
from tests.identities import bearer, create_identity, key_identity

PUBLIC = {("POST", "/auth/login"), ("POST", "/auth/refresh"), ("GET", "/health"), ("GET", "/health/ready")}
# Any authenticated user may act on their own account.
SELF_SERVICE = {
    ("POST", "/auth/logout"),
    ("POST", "/auth/logout-all"),
    ("GET", "/auth/me"),
    ("PATCH", "/auth/me"),
    ("POST", "/auth/change-password"),
    ("POST", "/auth/api-keys"),
    ("GET", "/auth/api-keys"),
    ("GET", "/auth/api-keys/{key_id}"),
    ("DELETE", "/auth/api-keys/{key_id}"),
}
# What an API key may not do, whatever it holds: manage keys, sessions or passwords (403).
SIGNED_IN_ONLY = {
    ("POST", "/auth/logout"),
    ("POST", "/auth/logout-all"),
    ("POST", "/auth/change-password"),
    ("POST", "/auth/api-keys"),
    ("GET", "/auth/api-keys"),
    ("GET", "/auth/api-keys/{key_id}"),
    ("DELETE", "/auth/api-keys/{key_id}"),
    ("GET", "/users/{user_id}/api-keys"),
    ("DELETE", "/users/{user_id}/api-keys/{key_id}"),
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


async def test_every_route_declares_its_permissions(app: FastAPI) -> None:
    undeclared = [
        f"{method} {path}"
        for method, path, permissions in schema_routes(app)
        if (method, path) not in PUBLIC | SELF_SERVICE and not permissions
    ]

    assert undeclared == []


async def test_declared_permissions_exist_in_the_catalogue(app: FastAPI) -> None:
    for _, _, permissions in schema_routes(app):
        for granted in permissions:
            module, action = granted.split(":")
            assert module in all_modules()
            assert action in ACTIONS


async def test_each_route_is_403_without_each_permission_and_allowed_with_all(
    app: FastAPI, anon_client: httpx.AsyncClient
) -> None:
    for method, path, permissions in schema_routes(app):
        if not permissions:
            continue
        granted = [permission.split(":") for permission in permissions]
        for missing in permissions:
            other_module = next(m for m in all_modules() if m not in {module for module, _ in granted})
            others = {other_module: list(ACTIONS)}
            for module, action in granted:
                if f"{module}:{action}" != missing:
                    others.setdefault(module, []).append(action)
            _, without = await create_identity(app, permissions=others)
            denied = await anon_client.request(method, concrete(path), json={}, headers=bearer(without))
            assert denied.status_code == 403, f"{method} {path} without {missing}"
        holder_grants: dict[str, list[str]] = {}
        for module, action in granted:
            holder_grants.setdefault(module, []).append(action)
        _, holder = await create_identity(app, permissions=holder_grants)

        allowed = await anon_client.request(method, concrete(path), json={}, headers=bearer(holder))
        anonymous = await anon_client.request(method, concrete(path), json={})

        assert allowed.status_code not in (401, 403), f"{method} {path} with {permissions}: {allowed.text}"
        assert anonymous.status_code == 401, f"{method} {path} anonymous"


async def test_public_and_self_service_lists_match_the_schema(app: FastAPI) -> None:
    operations = {(method, path): permissions for method, path, permissions in schema_routes(app)}

    assert operations.keys() >= PUBLIC | SELF_SERVICE
    assert all(operations[operation] == [] for operation in PUBLIC | SELF_SERVICE)


async def test_self_service_routes_need_only_a_token(anon_client: httpx.AsyncClient) -> None:
    for method, path in SELF_SERVICE:
        response = await anon_client.request(method, path, json={})

        assert response.status_code == 401, f"{method} {path}"


# The generated matrix: every operation, called by someone holding exactly one permission
# (unscoped, or its `:own` where the module has owners), on the caller's own row and on
# another's, must answer as the catalogue says.

RESOURCES = ("users", "posts", "products", "tasks", "customers", "roles", "rbac", "audit")
ALLOWED = {"GET": 200, "POST": 201, "PUT": 200, "PATCH": 200, "DELETE": 204}
# Where a caller's own row differs from another's: the path's row (or a created row) has an owner.
OWNED_PARAMS = {"user_id", "post_id", "task_id"}
OWNED_CREATES = {"/posts", "/tasks"}
# The caller's own row is refused even with the permission.
SELF_REFUSED = {("PUT", "/users/{user_id}/roles")}
PATCHES: dict[str, dict[str, Any]] = {
    "users": {"name": "Renamed"},
    "posts": {"title": "Retitled"},
    "tasks": {"title": "Retitled"},
    "products": {"name": "Renamed"},
    "customers": {"name": "Renamed"},
    "roles": {"description": "Changed"},
}


def full_body(resource: str, owner_id: int) -> dict[str, Any]:
    bodies: dict[str, dict[str, Any]] = {
        "users": {"email": f"{unique('m')}@example.com", "name": "Matrix"},
        "posts": {"title": "T", "content": "C", "user_id": owner_id},
        "tasks": {"title": "T", "assignee_id": owner_id},
        "products": {"sku": unique("MX-"), "name": "P", "price": "1.00"},
        "customers": {"name": "C", "email": f"{unique('c')}@example.com"},
        "roles": {"name": unique("matrix-role")},
    }
    return bodies[resource]


def body_for(method: str, path: str, owner_id: int) -> dict[str, Any] | None:
    resource = path.split("/")[1]
    if method in ("GET", "DELETE"):
        return None
    if path == "/users/{user_id}/roles":
        return {"role_ids": []}
    return PATCHES[resource] if method == "PATCH" else full_body(resource, owner_id)


async def row_for(app: FastAPI, client: httpx.AsyncClient, param: str, owner_id: int) -> int:
    """The id to put in the path: a row owned by `owner_id` where rows have owners."""
    made: dict[str, Any]
    if param == "user_id":
        return owner_id
    if param == "key_id":
        async with app.state.session_factory() as session:
            return (await ApiKeyService(session).create(owner_id, {"name": unique("matrix-key")})).id
    if param == "post_id":
        made = await create_post(client, user_id=owner_id)
    elif param == "task_id":
        made = await create_task(client, assignee_id=owner_id)
    elif param == "product_id":
        made = await create_product(client)
    elif param == "customer_id":
        made = await create_customer(client)
    else:
        made = (await client.post("/roles", json={"name": unique("matrix-role")})).json()
    return int(made["id"])


async def api_key_of(app: FastAPI, owner_id: int) -> str:
    """A key with all of its owner's permissions, made by the service behind POST /auth/api-keys."""
    async with app.state.session_factory() as session:
        return (await ApiKeyService(session).create(owner_id, {"name": unique("matrix-key")})).key


def callers_of(permissions: list[str]) -> list[tuple[str, dict[str, list[str]], bool | None]]:
    """(label, grants, allowed) per caller; allowed None means "on its own rows only"."""
    callers: list[tuple[str, dict[str, list[str]], bool | None]] = []
    for granted in permissions:
        module, action = granted.split(":")
        callers.append((granted, {module: [action]}, permissions == [granted]))
        if permissions == [granted] and OWN in scopes(module) and action in SCOPED_ACTIONS:
            callers.append((f"{granted}:own", {module: [f"{action}:own"]}, None))
    modules = {granted.split(":")[0] for granted in permissions}
    unrelated = next(module for module in all_modules() if module not in modules)
    callers.append((f"{unrelated}:read", {unrelated: []}, False))
    if len(permissions) > 1:
        grants: dict[str, list[str]] = {}
        for granted in permissions:
            module, action = granted.split(":")
            grants.setdefault(module, []).append(action)
        callers.append(("all of them", grants, True))
    return callers


def expected_status(method: str, path: str, allowed: bool | None, own: bool, credential: str) -> int:
    if allowed is None:
        allowed = own
    if own and (method, path) in SELF_REFUSED:
        allowed = False
    if credential == "api key" and (method, path) in SIGNED_IN_ONLY:
        allowed = False
    return ALLOWED[method] if allowed else 403


async def check_operation(
    app: FastAPI, client: httpx.AsyncClient, method: str, path: str, permissions: list[str], credential: str
) -> list[str]:
    params = re.findall(r"\{([^}]+)\}", path)
    has_owner = bool(OWNED_PARAMS & set(params)) or (method == "POST" and path in OWNED_CREATES)
    wrong = []
    for label, grants, allowed in callers_of(permissions):
        for own in (True, False) if has_owner else (False,):
            caller_id, token = await create_identity(app, permissions=grants)
            if credential == "api key":
                token = await api_key_of(app, caller_id)
            # Another's row: its owner is written straight to the database, and the key made by the
            # service: this walks authorization, not how accounts and keys are made (their own tests).
            owner_id = caller_id if own else (await insert_users(app, 1))[0]
            url = path
            for param in params:
                url = url.replace(f"{{{param}}}", str(await row_for(app, client, param, owner_id)))
            response = await client.request(method, url, json=body_for(method, path, owner_id), headers=bearer(token))
            expected = expected_status(method, path, allowed, own, credential)
            if response.status_code != expected:
                row = "own" if own else "another's"
                wrong.append(
                    f"{method} {path} by {label} ({credential}) on {row} row: {response.status_code} != {expected}"
                )
    return wrong


async def test_every_operation_belongs_to_a_matrix_resource(app: FastAPI) -> None:
    guarded = [path for _, path, permissions in schema_routes(app) if permissions]

    assert all(path.split("/")[1] in RESOURCES for path in guarded)


def is_history_route(path: str) -> bool:
    """A record's history routes need a record with changes (restore: a deleted one): their
    permissions are walked by tests/modules/test_history_contract.py instead."""
    return "/{record_id}/" in path


@pytest.mark.parametrize("credential", ["access token", "api key"])
@pytest.mark.parametrize("resource", RESOURCES)
async def test_authorization_matrix(app: FastAPI, client: httpx.AsyncClient, resource: str, credential: str) -> None:
    """The matrix with the caller's access token, then again with an API key in its place."""
    wrong = []
    for method, path, permissions in schema_routes(app):
        if permissions and path.split("/")[1] == resource and not is_history_route(path):
            wrong += await check_operation(app, client, method, path, permissions, credential)

    assert wrong == []


async def test_a_key_is_refused_where_only_a_signed_in_user_may_go(
    app: FastAPI, anon_client: httpx.AsyncClient
) -> None:
    routes = {(method, path) for method, path, _ in schema_routes(app)}
    _, key = await key_identity(app, is_superuser=True)

    assert routes >= SIGNED_IN_ONLY
    for method, path in SIGNED_IN_ONLY:
        response = await anon_client.request(method, concrete(path), json={}, headers=bearer(key))

        assert response.status_code == 403, f"{method} {path}: {response.text}"


async def test_the_schema_offers_an_api_key_exactly_where_one_is_accepted(app: FastAPI) -> None:
    without_key = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
        if operation.get("security") and {"APIKeyHeader": []} not in operation["security"]
    }

    assert app.openapi()["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"
    assert without_key == SIGNED_IN_ONLY
