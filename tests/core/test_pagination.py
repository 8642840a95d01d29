"""Pagination, its headers, and sorting, seen through `GET /users` (any list behaves the same)."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.pagination import MAX_OFFSET, MAX_PAGE
from tests.factories import create_user, insert_users

TOTAL = 25  # the calling superuser and 24 more


@pytest.fixture
async def user_ids(app: FastAPI, admin: tuple[int, str]) -> list[int]:
    """Ids of every user, in creation (= id) order."""
    return [admin[0], *await insert_users(app, TOTAL - 1)]


def ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()]


def link_params(response: httpx.Response, rel: str) -> dict[str, str] | None:
    """The query of the `rel` link, or None when the Link header has no such link."""
    link = response.links.get(rel)
    return dict(httpx.URL(link["url"]).params) if link else None


async def test_defaults_are_the_first_ten(client: httpx.AsyncClient, user_ids: list[int]) -> None:
    response = await client.get("/users")

    assert ids(response) == user_ids[:10]
    assert response.headers["X-Total-Count"] == str(TOTAL)
    assert link_params(response, "next") == {"skip": "10", "limit": "10"}
    assert link_params(response, "prev") is None


async def test_skip_and_limit_select_a_window(client: httpx.AsyncClient, user_ids: list[int]) -> None:
    response = await client.get("/users", params={"skip": 5, "limit": 3})

    assert ids(response) == user_ids[5:8]
    assert response.headers["X-Total-Count"] == str(TOTAL)
    assert link_params(response, "next") == {"skip": "8", "limit": "3"}
    assert link_params(response, "prev") == {"skip": "2", "limit": "3"}


async def test_prev_link_stops_at_the_start(client: httpx.AsyncClient, user_ids: list[int]) -> None:
    response = await client.get("/users", params={"skip": 2, "limit": 5})

    assert ids(response) == user_ids[2:7]
    assert link_params(response, "prev") == {"skip": "0", "limit": "5"}


async def test_last_page_has_prev_but_no_next(client: httpx.AsyncClient, user_ids: list[int]) -> None:
    response = await client.get("/users", params={"skip": 20, "limit": 10})

    assert ids(response) == user_ids[20:]
    assert response.headers["X-Total-Count"] == str(TOTAL)
    assert link_params(response, "next") is None
    assert link_params(response, "prev") == {"skip": "10", "limit": "10"}


async def test_page_ending_exactly_at_the_total_has_no_next(client: httpx.AsyncClient, user_ids: list[int]) -> None:
    response = await client.get("/users", params={"skip": 20, "limit": 5})

    assert ids(response) == user_ids[20:]
    assert link_params(response, "next") is None


async def test_everything_in_one_page_has_no_link(client: httpx.AsyncClient, user_ids: list[int]) -> None:
    response = await client.get("/users", params={"limit": 100})

    assert ids(response) == user_ids
    assert response.headers["X-Total-Count"] == str(TOTAL)
    assert "Link" not in response.headers


async def test_skip_beyond_the_total_is_empty_with_the_total(client: httpx.AsyncClient, user_ids: list[int]) -> None:
    response = await client.get("/users", params={"skip": 40, "limit": 10})

    assert ids(response) == []
    assert response.headers["X-Total-Count"] == str(len(user_ids))
    assert link_params(response, "next") is None


async def test_page_and_per_page(client: httpx.AsyncClient, user_ids: list[int]) -> None:
    response = await client.get("/users", params={"page": 2, "per_page": 10})

    assert ids(response) == user_ids[10:20]
    assert response.headers["X-Total-Count"] == str(TOTAL)
    assert link_params(response, "next") == {"page": "3", "per_page": "10"}
    assert link_params(response, "prev") == {"page": "1", "per_page": "10"}


async def test_page_alone_uses_ten_per_page(client: httpx.AsyncClient, user_ids: list[int]) -> None:
    response = await client.get("/users", params={"page": 3})

    assert ids(response) == user_ids[20:]
    assert link_params(response, "next") is None
    assert link_params(response, "prev") == {"page": "2", "per_page": "10"}


async def test_per_page_alone_starts_at_page_one(client: httpx.AsyncClient, user_ids: list[int]) -> None:
    response = await client.get("/users", params={"per_page": 4})

    assert ids(response) == user_ids[:4]
    assert link_params(response, "next") == {"page": "2", "per_page": "4"}


async def test_links_keep_the_other_query_parameters(client: httpx.AsyncClient, user_ids: list[int]) -> None:
    response = await client.get("/users", params={"sort": "-id", "skip": 3, "limit": 3})

    assert ids(response) == list(reversed(user_ids))[3:6]
    assert link_params(response, "next") == {"sort": "-id", "skip": "6", "limit": "3"}
    assert link_params(response, "prev") == {"sort": "-id", "skip": "0", "limit": "3"}


@pytest.mark.parametrize("limit", [1, 100])
async def test_limit_bounds_are_inclusive(client: httpx.AsyncClient, limit: int) -> None:
    response = await client.get("/users", params={"limit": limit})

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"skip": -1}, "skip"),
        ({"page": 0}, "page"),
        ({"per_page": 0}, "per_page"),
        ({"per_page": 101}, "per_page"),
    ],
)
async def test_out_of_bounds_is_422(client: httpx.AsyncClient, params: dict[str, Any], field: str) -> None:
    response = await client.get("/users", params=params)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert [item["loc"] for item in response.json()["details"]] == [["query", field]]


async def test_every_invalid_parameter_is_named_at_once(client: httpx.AsyncClient) -> None:
    response = await client.get("/products", params={"limit": 0, "min_price": "cheap", "q": "x" * 201, "other": "1"})

    assert response.status_code == 422
    locs = sorted(item["loc"] for item in response.json()["details"])
    assert locs == [["query", "limit"], ["query", "min_price"], ["query", "q"]]


async def test_a_lists_query_parameters_are_documented(anon_client: httpx.AsyncClient) -> None:
    schema = (await anon_client.get("/openapi.json")).json()
    operation = schema["paths"]["/tasks"]["get"]

    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    window = ["skip", "limit", "page", "per_page", "sort"]
    assert list(parameters) == [*window, "q", "status", "priority", "assignee_id", "customer_id", "due_before"]
    assert all(parameter["in"] == "query" and not parameter["required"] for parameter in parameters.values())
    assert parameters["limit"]["description"] == "Rows to return"
    assert parameters["limit"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "default": 10,
        "description": "Rows to return",
        "title": "Limit",
    }
    assert parameters["sort"]["schema"]["default"] == "id"
    assert parameters["page"]["schema"]["default"] == 1
    assert {"$ref": "#/components/schemas/TaskStatus"} in parameters["status"]["schema"]["anyOf"]
    assert schema["components"]["schemas"]["TaskStatus"]["enum"] == ["todo", "in_progress", "done"]


@pytest.mark.parametrize("params", [{"skip": MAX_OFFSET}, {"page": MAX_PAGE, "per_page": 100}])
async def test_largest_offset_is_an_empty_page(client: httpx.AsyncClient, params: dict[str, int]) -> None:
    response = await client.get("/users", params=params)

    assert ids(response) == []
    assert response.headers["X-Total-Count"] == "1"


@pytest.mark.parametrize(
    "params", [{"skip": MAX_OFFSET + 1}, {"page": MAX_PAGE + 1}, {"skip": 2**63}, {"page": 2**62}, {"skip": 10**30}]
)
async def test_offsets_beyond_any_database_are_422_not_500(client: httpx.AsyncClient, params: dict[str, int]) -> None:
    response = await client.get("/users", params=params)

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"


@pytest.mark.parametrize(
    "params",
    [{"skip": 0, "page": 1}, {"limit": 10, "per_page": 10}, {"skip": 10, "per_page": 5}, {"page": 2, "limit": 5}],
)
async def test_mixing_both_styles_is_422(client: httpx.AsyncClient, params: dict[str, int]) -> None:
    response = await client.get("/users", params=params)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


async def test_sort_ascending_and_descending(client: httpx.AsyncClient, admin: tuple[int, str]) -> None:
    bea, cid, ann = [await create_user(client, name=name) for name in ("Bea", "Cid", "Ann")]
    # the caller is named "Caller"; "Bea" < "Caller" < "Cid"
    ascending = [ann["id"], bea["id"], admin[0], cid["id"]]

    assert ids(await client.get("/users", params={"sort": "name"})) == ascending
    assert ids(await client.get("/users", params={"sort": "-name"})) == ascending[::-1]


async def test_sort_by_several_fields(client: httpx.AsyncClient, admin: tuple[int, str]) -> None:
    a_lee = await create_user(client, name="A", surname="Lee")
    b_lee = await create_user(client, name="B", surname="Lee")
    c_kim = await create_user(client, name="C", surname="Kim")
    d_kim = await create_user(client, name="D", surname="Kim")

    response = await client.get("/users", params={"sort": "surname,-name", "limit": 100})

    # the caller has no surname; NULLs sort first on SQLite and last on PostgreSQL
    sorted_ids = [item for item in ids(response) if item != admin[0]]
    assert sorted_ids == [d_kim["id"], c_kim["id"], b_lee["id"], a_lee["id"]]


async def test_ties_are_broken_by_id_so_pages_do_not_overlap(client: httpx.AsyncClient, user_ids: list[int]) -> None:
    # nobody has a surname: every row ties on the sort key
    pages = [ids(await client.get("/users", params={"sort": "surname", "skip": skip, "limit": 5})) for skip in (0, 5)]

    assert pages[0] + pages[1] == user_ids[:10]


@pytest.mark.parametrize("sort", ["hashed_password", "password", "nope", "name,", "-", "name,-nope"])
async def test_unknown_sort_field_is_422(client: httpx.AsyncClient, sort: str) -> None:
    response = await client.get("/users", params={"sort": sort})

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["details"][0]["loc"] == ["query", "sort"]


async def test_past_the_count_limit_the_total_is_a_lower_bound_and_paging_still_works(
    client: httpx.AsyncClient, user_ids: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.core.pagination.EXACT_COUNT_LIMIT", 10)

    first = await client.get("/users?limit=5")
    middle = await client.get("/users?skip=15&limit=5")
    last = await client.get("/users?skip=20&limit=5")

    assert ids(first) == user_ids[:5]
    assert (first.headers["X-Total-Count"], first.headers["X-Total-Count-Exact"]) == ("11", "false")
    assert link_params(first, "next") == {"skip": "5", "limit": "5"}
    # The count reaches the end of the window asked for: enough to know a next page exists.
    assert (middle.headers["X-Total-Count"], middle.headers["X-Total-Count-Exact"]) == ("21", "false")
    assert link_params(middle, "next") == {"skip": "20", "limit": "5"}
    assert ids(last) == user_ids[20:]
    assert last.headers["X-Total-Count"] == str(TOTAL)
    assert "X-Total-Count-Exact" not in last.headers
    assert link_params(last, "next") is None
