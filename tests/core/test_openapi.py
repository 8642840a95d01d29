"""The OpenAPI schema documents the errors the API really sends, in the envelope it sends them in."""

from typing import Any

import httpx
from fastapi import FastAPI

from app.core.openapi import ErrorBody
from tests.factories import create_product
from tests.identities import client_for, create_identity

ERROR_REF = "#/components/schemas/ErrorBody"


async def schema(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_every_documented_error_is_the_envelope(anon_client: httpx.AsyncClient) -> None:
    document = await schema(anon_client)

    errors = [
        (path, method, status, response)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for status, response in operation["responses"].items()
        if status.startswith(("4", "5"))
    ]
    assert len(errors) > 100
    for path, method, status, response in errors:
        assert response["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}, (path, method, status)
    # FastAPI's own validation error model, which this API never sends, is no longer offered.
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert document["components"]["schemas"]["ErrorBody"]["required"] == [
        "success",
        "message",
        "code",
        "details",
        "request_id",
    ]


async def test_each_operation_lists_the_errors_its_shape_and_service_imply(anon_client: httpx.AsyncClient) -> None:
    paths = (await schema(anon_client))["paths"]

    def documented(path: str, method: str) -> set[str]:
        return {status for status in paths[path][method]["responses"] if status.startswith("4")}

    assert documented("/products/{product_id}", "patch") == {"400", "401", "403", "404", "409", "412", "413", "422"}
    assert documented("/products/{product_id}", "get") == {"401", "403", "404", "422"}
    assert documented("/products", "get") == {"401", "403", "422"}  # the query is validated too
    assert documented("/tasks", "post") == {"400", "401", "403", "413", "422"}
    assert documented("/auth/login", "post") == {"400", "401", "413", "422", "429"}
    assert documented("/auth/me", "get") == {"401"}  # a token, but no permission, and nothing to validate
    assert documented("/health", "get") == set()


async def test_the_errors_a_caller_meets_are_documented_for_their_operation(
    app: FastAPI, client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    """Real error responses: each status is listed for its operation and each body is the documented model."""
    paths = (await schema(anon_client))["paths"]
    product = await create_product(client)
    _, reader_token = await create_identity(app, permissions={"products": ["read"]})
    item = f"/products/{product['id']}"
    taken_sku = {"sku": product["sku"], "price": "1.00"}
    stale = {"If-Match": f'"{product["version"] + 1}"'}
    async with client_for(app, reader_token) as reader:
        met = [
            ("/products/{product_id}", "get", await anon_client.get(item)),  # 401
            ("/products/{product_id}", "patch", await reader.patch(item, json={"stock": 1})),  # 403
            ("/products/{product_id}", "get", await client.get("/products/999999")),  # 404
            ("/products", "post", await client.post("/products", json={**taken_sku, "name": "Other"})),  # 409
            ("/products/{product_id}", "patch", await client.patch(item, json={"stock": 1}, headers=stale)),  # 412
            ("/products", "get", await client.get("/products?limit=0")),  # 422 from the list's own query
            ("/products", "post", await client.post("/products", json={"sku": "X"})),  # 422
        ]
    assert [response.status_code for _, _, response in met] == [401, 403, 404, 409, 412, 422, 422]
    for path, method, response in met:
        assert str(response.status_code) in paths[path][method]["responses"], (path, method, response.status_code)
        ErrorBody.model_validate(response.json())
