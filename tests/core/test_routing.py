"""Requests reach their module's routes, and only theirs, whichever router they were included after."""

import httpx
import pytest
from starlette.routing import Match

from app.core.routing import PrefixedRouter
from tests.core.test_errors import assert_envelope

MODULES = ("users", "posts", "products", "tasks", "customers")


@pytest.mark.parametrize("module", MODULES)
async def test_each_modules_item_and_collection_routes_are_found(client: httpx.AsyncClient, module: str) -> None:
    listed = await client.get(f"/{module}", params={"limit": 1})
    missing = await client.get(f"/{module}/999999")

    assert listed.status_code == 200, listed.text
    body = assert_envelope(missing, 404, "not_found")
    assert "999999" in body["message"]  # the module's own "not found", not an unmatched path


async def test_a_405_lists_every_method_the_path_takes(client: httpx.AsyncClient) -> None:
    on_item = await client.post("/products/1")
    on_health = await client.delete("/health")

    assert_envelope(on_item, 405, "method_not_allowed")
    assert on_item.headers["Allow"] == "GET, PUT, PATCH, DELETE"
    assert on_health.headers["Allow"] == "GET"


async def test_paths_beside_a_prefix_are_not_its_routes(client: httpx.AsyncClient) -> None:
    wrong_method = await client.delete("/products")
    lookalike = await client.get("/productsx")
    nested = await client.get("/products/1/extra")
    slash = await client.get("/products/", follow_redirects=False)

    assert_envelope(wrong_method, 405, "method_not_allowed")
    assert wrong_method.headers["Allow"] == "GET, POST"
    assert_envelope(lookalike, 404, "not_found")
    assert_envelope(nested, 404, "not_found")
    assert slash.status_code == 200  # the collection itself, not a redirect to it
    assert "Location" not in slash.headers


def test_a_prefixed_router_declines_paths_outside_its_prefix_and_needs_one() -> None:
    router = PrefixedRouter(prefix="/products")

    assert router.matches({"type": "http", "path": "/users/1", "method": "GET"}) == (Match.NONE, {})
    with pytest.raises(ValueError, match="needs a prefix"):
        PrefixedRouter(prefix="")
