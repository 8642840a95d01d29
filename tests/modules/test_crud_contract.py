"""The HTTP contract every domain module keeps (SPEC sections 3 and 6), checked module by module.

Module-specific behaviour (validation, conflicts, references, filters, sorts) lives in
tests/modules/<name>/test_routes.py.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import create_customer, create_post, create_product, create_task, create_user, unique
from tests.identities import client_for, create_identity

BodyBuilder = Callable[[httpx.AsyncClient], Awaitable[dict[str, Any]]]


def fixed(make: Callable[[], dict[str, Any]]) -> BodyBuilder:
    """A body that needs no other rows; a builder that does creates them with the client it gets."""

    async def build(_client: httpx.AsyncClient) -> dict[str, Any]:
        return make()

    return build


@dataclass(frozen=True)
class Module:
    name: str
    create: Callable[[httpx.AsyncClient], Awaitable[dict[str, Any]]]
    replacement: BodyBuilder  # a valid POST/PUT body
    change: dict[str, Any] = field(default_factory=dict)  # a valid PATCH body
    text_field: str = "name"  # a field `q` searches

    @property
    def path(self) -> str:
        return f"/{self.name}"


MODULES = [
    Module("users", create_user, fixed(lambda: {"email": f"{unique('u')}@example.com", "name": "P"}), {"name": "N"}),
    Module("posts", create_post, fixed(lambda: {"title": "P", "content": "Replaced"}), {"title": "N"}, "title"),
    Module("products", create_product, fixed(lambda: {"sku": unique("P-"), "name": "P", "price": "1"}), {"name": "N"}),
    Module("customers", create_customer, fixed(lambda: {"name": "P", "email": f"{unique('c')}@x.com"}), {"name": "N"}),
    Module("tasks", create_task, fixed(lambda: {"title": "P"}), {"title": "N"}, "title"),
]


@pytest.fixture(params=MODULES, ids=lambda module: module.name)
def module(request: pytest.FixtureRequest) -> Module:
    result: Module = request.param
    return result


async def every_route(http: httpx.AsyncClient, module: Module, id_: int, body: dict[str, Any]) -> dict[str, int]:
    """Status of each of the six routes for `http`, keyed by action (none of them may succeed in writing)."""
    item = f"{module.path}/{id_}"
    return {
        "list": (await http.get(module.path)).status_code,
        "get": (await http.get(item)).status_code,
        "create": (await http.post(module.path, json=body)).status_code,
        "replace": (await http.put(item, json=body)).status_code,
        "patch": (await http.patch(item, json=module.change)).status_code,
        "delete": (await http.delete(item)).status_code,
    }


async def test_round_trip_201_200_204_with_location_and_etags(client: httpx.AsyncClient, module: Module) -> None:
    created = await client.post(module.path, json=await module.replacement(client))
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    assert location == f"{module.path}/{created.json()['id']}"
    assert created.headers["ETag"] == '"1"'
    assert created.json()["version"] == 1

    fetched = await client.get(location)
    assert fetched.status_code == 200
    assert fetched.headers["ETag"] == '"1"'
    assert fetched.json() == created.json()

    patched = await client.patch(location, json=module.change)
    assert patched.status_code == 200, patched.text
    assert patched.headers["ETag"] == '"2"'
    assert patched.json()["version"] == 2

    replaced = await client.put(location, json=await module.replacement(client), headers={"If-Match": '"2"'})
    assert replaced.status_code == 200, replaced.text
    assert replaced.headers["ETag"] == '"3"'

    deleted = await client.delete(location)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (await client.get(location)).status_code == 404


async def test_anonymous_caller_gets_401_everywhere(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient, module: Module
) -> None:
    existing = await module.create(client)

    statuses = await every_route(anon_client, module, existing["id"], await module.replacement(client))

    assert set(statuses.values()) == {401}, statuses
    response = await anon_client.get(module.path)
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["code"] == "unauthorized"


async def test_caller_without_the_grant_gets_403(app: FastAPI, client: httpx.AsyncClient, module: Module) -> None:
    existing = await module.create(client)
    _, token = await create_identity(app, permissions={"roles": []})  # a grant on another module only

    async with client_for(app, token) as stranger:
        statuses = await every_route(stranger, module, existing["id"], await module.replacement(client))

    assert set(statuses.values()) == {403}, statuses
    assert (await client.get(f"{module.path}/{existing['id']}")).status_code == 200  # nothing was deleted


async def test_each_action_needs_its_own_grant(app: FastAPI, client: httpx.AsyncClient, module: Module) -> None:
    existing = await module.create(client)
    _, reader_token = await create_identity(app, permissions={module.name: []})  # implicit read only
    _, editor_token = await create_identity(app, permissions={module.name: ["update"]})

    async with client_for(app, reader_token) as reader:
        read_only = await every_route(reader, module, existing["id"], await module.replacement(client))
    async with client_for(app, editor_token) as editor:
        patched = await editor.patch(f"{module.path}/{existing['id']}", json=module.change)

    assert read_only == {"list": 200, "get": 200, "create": 403, "replace": 403, "patch": 403, "delete": 403}
    assert patched.status_code == 200, patched.text


async def test_unknown_id_is_404_and_an_impossible_one_422(client: httpx.AsyncClient, module: Module) -> None:
    body = await module.replacement(client)
    # Past the INTEGER id column an id cannot name a row: a validation error, never a database error.
    for missing, expected in ((999_999, 404), (2**40, 422), (0, 422)):
        item = f"{module.path}/{missing}"
        statuses = [
            (await client.get(item)).status_code,
            (await client.put(item, json=body)).status_code,
            (await client.patch(item, json=module.change)).status_code,
            (await client.delete(item)).status_code,
        ]
        assert statuses == [expected] * 4
    assert (await client.get(f"{module.path}/999999")).json()["code"] == "not_found"


async def test_stale_if_match_is_412_and_changes_nothing(client: httpx.AsyncClient, module: Module) -> None:
    existing = await module.create(client)
    item = f"{module.path}/{existing['id']}"
    assert (await client.patch(item, json=module.change, headers={"If-Match": '"1"'})).status_code == 200

    stale = {"If-Match": '"1"'}
    responses = [
        await client.patch(item, json=module.change, headers=stale),
        await client.put(item, json=await module.replacement(client), headers=stale),
        await client.delete(item, headers=stale),
    ]

    assert [r.status_code for r in responses] == [412, 412, 412]
    assert responses[0].json()["code"] == "precondition_failed"
    current = await client.get(item)
    assert current.status_code == 200
    assert current.json()["version"] == 2
    assert (await client.delete(item, headers={"If-Match": '"2"'})).status_code == 204


async def test_pagination_total_and_links(client: httpx.AsyncClient, module: Module) -> None:
    for _ in range(3):
        await module.create(client)
    total = int((await client.get(module.path, params={"limit": 1})).headers["X-Total-Count"])
    assert total >= 3  # users also lists the calling admin

    first = await client.get(module.path, params={"limit": 2, "sort": "id"})
    last = await client.get(module.path, params={"page": 2, "per_page": total - 1, "sort": "id"})

    assert len(first.json()) == 2
    assert first.headers["X-Total-Count"] == str(total)
    assert 'rel="next"' in first.headers["Link"]
    assert "skip=2" in first.headers["Link"]
    assert 'rel="prev"' not in first.headers["Link"]
    assert len(last.json()) == 1
    assert last.headers["X-Total-Count"] == str(total)
    assert 'rel="prev"' in last.headers["Link"]
    assert 'rel="next"' not in last.headers["Link"]


async def test_body_and_sort_mistakes_are_422(client: httpx.AsyncClient, module: Module) -> None:
    existing = await module.create(client)

    unknown_field = await client.post(module.path, json={**await module.replacement(client), "surprise": 1})
    unknown_patch_field = await client.patch(f"{module.path}/{existing['id']}", json={"surprise": 1})
    unknown_sort = await client.get(module.path, params={"sort": "surprise"})

    assert [unknown_field.status_code, unknown_patch_field.status_code, unknown_sort.status_code] == [422, 422, 422]
    assert unknown_sort.json()["code"] == "validation_error"


async def test_lists_are_cached_until_a_write_commits(client: httpx.AsyncClient, module: Module) -> None:
    await module.create(client)
    first = await client.get(module.path, params={"limit": 5})
    second = await client.get(module.path, params={"limit": 5})

    created = await module.create(client)
    third = await client.get(module.path, params={"limit": 5})

    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("MISS", "HIT")
    assert second.json() == first.json()
    assert second.headers["X-Total-Count"] == first.headers["X-Total-Count"]
    assert third.headers["X-Cache"] == "MISS"
    assert created["id"] in [item["id"] for item in third.json()]


async def test_a_trailing_slash_is_served_without_a_redirect(client: httpx.AsyncClient, module: Module) -> None:
    created = await client.post(f"{module.path}/", json=await module.replacement(client))
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == f"{module.path}/{created.json()['id']}"
    item = f"{module.path}/{created.json()['id']}/"

    listed = await client.get(f"{module.path}/")
    fetched = await client.get(item)
    patched = await client.patch(item, json=module.change)
    deleted = await client.delete(item)

    assert [listed.status_code, fetched.status_code, patched.status_code, deleted.status_code] == [200, 200, 200, 204]
    assert created.json()["id"] in [row["id"] for row in listed.json()]


async def test_if_none_match_with_the_current_etag_is_an_empty_304(client: httpx.AsyncClient, module: Module) -> None:
    existing = await module.create(client)
    item = f"{module.path}/{existing['id']}"

    unchanged = await client.get(item, headers={"If-None-Match": '"1"'})
    listed_tags = await client.get(item, headers={"If-None-Match": 'W/"7", W/"1"'})
    await client.patch(item, json=module.change)
    changed = await client.get(item, headers={"If-None-Match": '"1"'})

    assert (unchanged.status_code, unchanged.content, unchanged.headers["ETag"]) == (304, b"", '"1"')
    assert "content-type" not in unchanged.headers
    assert listed_tags.status_code == 304
    assert (changed.status_code, changed.headers["ETag"], changed.json()["version"]) == (200, '"2"', 2)


async def test_a_204_carries_no_body_headers(client: httpx.AsyncClient, module: Module) -> None:
    existing = await module.create(client)

    deleted = await client.delete(f"{module.path}/{existing['id']}")

    assert deleted.status_code == 204
    assert "content-type" not in deleted.headers
    assert deleted.headers.get("content-length", "0") == "0"


async def test_q_searches_every_list_in_any_case(client: httpx.AsyncClient, module: Module) -> None:
    marker = unique("Zebra")
    body = {**await module.replacement(client), module.text_field: f"The {marker} one"}
    wanted = (await client.post(module.path, json=body)).json()
    await module.create(client)

    found = await client.get(module.path, params={"q": marker.upper(), "limit": 100})
    wildcard = await client.get(module.path, params={"q": "%", "limit": 100})

    assert found.status_code == 200, found.text
    assert [row["id"] for row in found.json()] == [wanted["id"]]
    assert wanted["id"] not in [row["id"] for row in wildcard.json()]  # % is taken literally
