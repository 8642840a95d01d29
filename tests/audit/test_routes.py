"""GET /audit/changes and GET /audit/access: filters, newest first, paginated."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from app.audit.repository import AccessLogRepository
from app.core.database import transaction
from tests.factories import create_user


async def test_changes_are_listed_newest_first_with_pagination_headers(client: httpx.AsyncClient) -> None:
    user = await create_user(client, name="V1")
    for name in ("V2", "V3"):
        await client.patch(f"/users/{user['id']}", json={"name": name})

    response = await client.get("/audit/changes", params={"entity_type": "users", "entity_id": user["id"], "limit": 2})

    assert response.status_code == 200
    body = response.json()
    assert [(row["action"], (row["new_values"] or {}).get("name")) for row in body] == [
        ("UPDATE", "V3"),
        ("UPDATE", "V2"),
    ]
    assert response.headers["X-Total-Count"] == "3"
    assert 'rel="next"' in response.headers["Link"]
    assert set(body[0]) == {
        "id", "entity_type", "entity_id", "action", "old_values", "new_values",
        "changed_fields", "actor_id", "api_key_id", "request_id", "created_at", "reason",
    }  # fmt: skip


async def test_changes_filter_by_action_and_entity(client: httpx.AsyncClient) -> None:
    kept = await create_user(client)
    gone = await create_user(client)
    await client.delete(f"/users/{gone['id']}")

    deletes = (await client.get("/audit/changes", params={"action": "DELETE"})).json()
    of_kept = (await client.get("/audit/changes", params={"entity_id": kept["id"]})).json()
    of_other_type = (await client.get("/audit/changes", params={"entity_type": "posts"})).json()

    assert [(row["entity_id"], row["action"]) for row in deletes] == [(gone["id"], "DELETE")]
    assert [row["action"] for row in of_kept] == ["INSERT"]
    assert of_other_type == []


async def test_changes_filter_by_actor_and_time_window(client: httpx.AsyncClient) -> None:
    before = datetime.now(UTC)  # after the fixtures' own writes
    await create_user(client)

    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    in_window = await client.get("/audit/changes", params={"since": before.isoformat(), "until": later})
    after_window = await client.get("/audit/changes", params={"since": later})
    by_actor = await client.get("/audit/changes", params={"actor_id": 123})

    assert in_window.headers["X-Total-Count"] == "1"
    assert after_window.json() == []
    assert by_actor.json() == []


async def test_unknown_action_is_a_validation_error(client: httpx.AsyncClient) -> None:
    response = await client.get("/audit/changes", params={"action": "TRUNCATE"})

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


async def test_access_is_filtered_by_path_status_user_and_time(client: httpx.AsyncClient, app: FastAPI) -> None:
    now = datetime.now(UTC)
    async with app.state.session_factory() as session, transaction(session):
        await AccessLogRepository(session).insert_many(
            [
                # Not the calling admin's id: the writer may log this test's own requests meanwhile.
                _access(path="/users", status_code=200, user_id=101, created_at=now - timedelta(days=2)),
                _access(path="/users", status_code=404, user_id=102, created_at=now - timedelta(hours=1)),
                _access(path="/users/3", status_code=200, user_id=101, created_at=now),
            ]
        )

    async def ids(**params: object) -> list[int]:
        response = await client.get("/audit/access", params=params)  # type: ignore[arg-type]  # plain query values
        assert response.status_code == 200
        return [row["user_id"] for row in response.json()]

    assert await ids(path="/users") == [102, 101]
    assert await ids(status_code=404) == [102]
    assert await ids(user_id=101) == [101, 101]
    assert await ids(since=(now - timedelta(days=1)).isoformat(), path="/users") == [102]
    assert await ids(until=(now - timedelta(days=1)).isoformat()) == [101]


@pytest.mark.parametrize("params", [{"status_code": 42}, {"since": "yesterday"}, {"limit": 101}])
async def test_access_rejects_bad_filters(client: httpx.AsyncClient, params: dict[str, object]) -> None:
    response = await client.get("/audit/access", params=params)  # type: ignore[arg-type]  # plain query values

    assert response.status_code == 422


def _access(**values: object) -> dict[str, object]:
    return {"method": "GET", "duration_ms": 1.5, "ip": "127.0.0.1", **values}


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/audit/changes", {"entity_id": "99999999999999999999"}),
        ("/audit/changes", {"actor_id": "0"}),
        ("/audit/access", {"user_id": "99999999999999999999"}),
        ("/audit/changes", {"since": "9999-12-31T23:59:59-05:00"}),
        ("/audit/access", {"until": "9999-12-31T23:59:59-05:00"}),
        ("/audit/changes", {"sort": "zzz"}),
        ("/audit/access", {"sort": ""}),
    ],
)
async def test_impossible_filters_are_422(client: httpx.AsyncClient, path: str, params: dict[str, str]) -> None:
    response = await client.get(path, params=params)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


async def test_changes_can_be_sorted_oldest_first(client: httpx.AsyncClient) -> None:
    await create_user(client)
    await create_user(client)

    newest_first = (await client.get("/audit/changes")).json()
    oldest_first = (await client.get("/audit/changes", params={"sort": "id"})).json()

    assert [row["id"] for row in oldest_first] == sorted(row["id"] for row in newest_first)
    assert [row["id"] for row in newest_first] == sorted((row["id"] for row in newest_first), reverse=True)
