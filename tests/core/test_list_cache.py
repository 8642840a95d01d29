"""Cached lists: the body and its paging headers, invalidated by committed writes only.

On the SQLite run the cache is in process memory; on the PostgreSQL run it is the real Redis.
The `admin` caller behind `client` is a user too: the lists hold it besides the test's own.
"""

import httpx

from tests.factories import create_product, create_user
from tests.identities import CALLER_NAME


async def test_a_list_is_served_from_the_cache_with_its_headers(client: httpx.AsyncClient) -> None:
    for _ in range(3):
        await create_user(client)

    first = await client.get("/users?limit=2")
    second = await client.get("/users?limit=2")

    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("MISS", "HIT")
    assert second.json() == first.json()
    assert second.headers["X-Total-Count"] == first.headers["X-Total-Count"] == "4"  # three and the caller
    assert second.headers["Link"] == first.headers["Link"]
    assert 'rel="next"' in second.headers["Link"]
    assert second.headers["content-type"] == "application/json"


async def test_a_committed_write_invalidates_the_lists(client: httpx.AsyncClient, admin: tuple[int, str]) -> None:
    user = await create_user(client)
    await client.get("/users")
    await client.get("/users/search?name=Name")

    await client.patch(f"/users/{user['id']}", json={"name": "Zed"})
    listed = await client.get("/users")
    searched = await client.get("/users/search?name=Name")

    assert listed.headers["X-Cache"] == "MISS"
    assert [(u["id"], u["name"]) for u in listed.json()] == [(admin[0], CALLER_NAME), (user["id"], "Zed")]
    assert searched.headers["X-Cache"] == "MISS"
    assert searched.json() == []


async def test_create_and_delete_invalidate_too(client: httpx.AsyncClient, admin: tuple[int, str]) -> None:
    await client.get("/users")

    user = await create_user(client)
    after_create = await client.get("/users")
    await client.delete(f"/users/{user['id']}")
    after_delete = await client.get("/users")

    assert [u["id"] for u in after_create.json()] == [admin[0], user["id"]]
    assert after_create.headers["X-Cache"] == "MISS"
    assert [u["id"] for u in after_delete.json()] == [admin[0]]
    assert after_delete.headers["X-Cache"] == "MISS"


async def test_a_refused_write_leaves_the_cache_alone(client: httpx.AsyncClient) -> None:
    await create_user(client, email="taken@example.com")
    await client.get("/users")

    refused = await client.post("/users", json={"email": "taken@example.com", "name": "Twin"})
    listed = await client.get("/users")

    assert refused.status_code == 409
    assert listed.headers["X-Cache"] == "HIT"


async def test_equivalent_queries_share_an_entry_and_different_ones_do_not(client: httpx.AsyncClient) -> None:
    await create_user(client)
    await client.get("/users")

    spelled_out = await client.get("/users?sort=id&limit=10&skip=0")
    other_order = await client.get("/users?sort=-id")
    page_style = await client.get("/users?page=1&per_page=10")
    filtered = await client.get("/users/search?name=x")
    filtered_again = await client.get("/users/search?name=x")

    assert spelled_out.headers["X-Cache"] == "HIT"
    assert other_order.headers["X-Cache"] == "MISS"
    assert page_style.headers["X-Cache"] == "MISS"  # its Link header speaks page/per_page
    assert filtered.headers["X-Cache"] == "MISS"
    assert filtered_again.headers["X-Cache"] == "HIT"


async def test_links_are_not_shared_across_hosts(client: httpx.AsyncClient) -> None:
    for _ in range(2):
        await create_user(client)
    await client.get("/users?limit=1", headers={"Host": "evil.example"})

    honest = await client.get("/users?limit=1")

    assert honest.headers["X-Cache"] == "MISS"
    assert "evil.example" not in honest.headers["Link"]


async def test_validation_errors_are_not_cached(client: httpx.AsyncClient) -> None:
    first = await client.get("/users?sort=password")
    second = await client.get("/users?sort=password")

    assert first.status_code == second.status_code == 422
    assert "X-Cache" not in second.headers


async def test_a_list_is_invalidated_by_writes_to_its_own_table_only(client: httpx.AsyncClient) -> None:
    product = await create_product(client)
    await client.get("/products")
    await client.get("/customers")

    await client.patch(f"/products/{product['id']}", json={"name": "Renamed"})
    products = await client.get("/products")
    customers = await client.get("/customers")

    assert products.headers["X-Cache"] == "MISS"
    assert [p["name"] for p in products.json()] == ["Renamed"]
    assert customers.headers["X-Cache"] == "HIT"
