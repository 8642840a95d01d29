"""The users routes as a client sees them: CRUD, validation, passwords, search and stats."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.models import utcnow
from tests.factories import create_user, insert_user, unique
from tests.identities import bearer, client_for, login
from tests.rows import count_users, stored_user

PASSWORD = "correct-horse-battery"


def ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()]


async def test_create_returns_201_location_and_etag(client: httpx.AsyncClient) -> None:
    response = await client.post("/users", json={"email": "Ann@Example.com", "name": "Ann", "password": "secret-123"})

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "ann@example.com"
    assert body["version"] == 1
    assert "password" not in body
    assert "hashed_password" not in body
    assert response.headers["Location"] == f"/users/{body['id']}"
    assert response.headers["ETag"] == '"1"'


async def test_create_fills_defaults_and_location_serves_the_user(client: httpx.AsyncClient) -> None:
    created = await client.post("/users", json={"email": "bob@example.com", "name": "Bob"})

    body = created.json()
    assert (body["surname"], body["is_active"], body["is_superuser"]) == (None, True, False)
    fetched = await client.get(created.headers["Location"])
    assert fetched.status_code == 200
    assert fetched.json() == body


@pytest.mark.parametrize("taken_as", ["dup@example.com", "DUP@Example.COM"])
async def test_create_with_a_taken_email_is_409(client: httpx.AsyncClient, app: FastAPI, taken_as: str) -> None:
    await create_user(client, email="dup@example.com")
    before = await count_users(app)

    response = await client.post("/users", json={"email": taken_as, "name": "Again"})

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert response.json()["message"] == "A user with email dup@example.com already exists"
    assert await count_users(app) == before


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
async def test_update_to_a_taken_email_is_409(client: httpx.AsyncClient, app: FastAPI, method: str) -> None:
    await create_user(client, email="taken@example.com")
    user = await create_user(client)

    response = await client.request(
        method, f"/users/{user['id']}", json={"email": "Taken@Example.com", "name": user["name"]}
    )

    assert response.status_code == 409
    row = await stored_user(app, user["id"])
    assert row is not None
    assert (row.email, row.version) == (user["email"], 1)


async def test_keeping_ones_own_email_is_no_conflict(client: httpx.AsyncClient) -> None:
    user = await create_user(client)

    response = await client.put(f"/users/{user['id']}", json={"email": user["email"].upper(), "name": "Same"})

    assert response.status_code == 200, response.text
    assert response.json()["email"] == user["email"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "name": "N"}, "email"),
        ({"email": f"{'e' * 250}@example.com", "name": "N"}, "email"),
        ({"email": "a@example.com", "name": "N", "password": "7chars!"}, "password"),
        ({"email": "a@example.com", "name": "N", "password": "p" * 129}, "password"),
        ({"email": "a@example.com", "name": "n" * 101}, "name"),
        ({"email": "a@example.com", "name": ""}, "name"),
        ({"email": "a@example.com", "name": "N", "surname": "s" * 101}, "surname"),
        ({"email": "a@example.com", "name": "N", "is_admin": True}, "is_admin"),
        ({"email": "a@example.com"}, "name"),
    ],
)
async def test_invalid_create_is_422(client: httpx.AsyncClient, app: FastAPI, body: dict[str, Any], field: str) -> None:
    before = await count_users(app)

    response = await client.post("/users", json=body)

    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["details"]] == [["body", field]]
    assert await count_users(app) == before


@pytest.mark.parametrize("field", ["name", "email", "is_active", "is_superuser", "password"])
async def test_patch_with_null_for_a_required_field_is_422(client: httpx.AsyncClient, field: str) -> None:
    user = await create_user(client)

    response = await client.patch(f"/users/{user['id']}", json={field: None})

    assert response.status_code == 422
    assert field in response.json()["details"][0]["msg"]


async def test_patch_with_null_surname_clears_it(client: httpx.AsyncClient) -> None:
    user = await create_user(client, surname="Gone")

    response = await client.patch(f"/users/{user['id']}", json={"surname": None})

    assert response.status_code == 200
    assert response.json()["surname"] is None


async def test_put_without_a_required_field_is_422(client: httpx.AsyncClient) -> None:
    user = await create_user(client)

    response = await client.put(f"/users/{user['id']}", json={"email": user["email"]})

    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["details"]] == [["body", "name"]]


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("GET", None),
        ("PUT", {"email": "x@example.com", "name": "X"}),
        ("PATCH", {"name": "X"}),
        ("DELETE", None),
    ],
)
async def test_unknown_user_is_404(client: httpx.AsyncClient, method: str, body: dict[str, Any] | None) -> None:
    response = await client.request(method, "/users/999999", json=body)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_delete_is_204_then_404(client: httpx.AsyncClient, app: FastAPI) -> None:
    user = await create_user(client)

    deleted = await client.delete(f"/users/{user['id']}")

    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (await client.get(f"/users/{user['id']}")).status_code == 404
    assert (await client.delete(f"/users/{user['id']}")).status_code == 404
    assert await stored_user(app, user["id"]) is None


async def test_put_resets_omitted_fields_and_keeps_the_password(client: httpx.AsyncClient, app: FastAPI) -> None:
    user = await create_user(client, surname="Old", is_active=False, password=PASSWORD)

    response = await client.put(f"/users/{user['id']}", json={"email": user["email"], "name": "Replaced"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["name"], body["surname"], body["is_active"], body["is_superuser"]) == ("Replaced", None, True, False)
    assert body["version"] == 2
    assert (await login(app, user["email"], PASSWORD)).status_code == 200


async def test_put_rejects_a_password(client: httpx.AsyncClient) -> None:
    user = await create_user(client)

    response = await client.put(
        f"/users/{user['id']}", json={"email": user["email"], "name": "N", "password": "new-password-1"}
    )

    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["details"]] == [["body", "password"]]


async def test_patch_changes_only_the_given_fields(client: httpx.AsyncClient) -> None:
    user = await create_user(client, surname="Kept", is_active=False)

    response = await client.patch(f"/users/{user['id']}", json={"name": "Renamed"})

    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ("name", "surname", "email", "is_active", "version")} == {
        "name": "Renamed",
        "surname": "Kept",
        "email": user["email"],
        "is_active": False,
        "version": 2,
    }


async def test_patch_password_replaces_it_and_ends_the_users_sessions(client: httpx.AsyncClient, app: FastAPI) -> None:
    user = await create_user(client, password=PASSWORD)
    session = (await login(app, user["email"], PASSWORD)).json()["access_token"]

    response = await client.patch(f"/users/{user['id']}", json={"password": "a-brand-new-one"})

    assert response.status_code == 200
    assert (await login(app, user["email"], PASSWORD)).status_code == 401
    assert (await login(app, user["email"], "a-brand-new-one")).status_code == 200
    async with client_for(app) as anon:
        assert (await anon.get("/auth/me", headers=bearer(session))).status_code == 401


async def test_user_without_a_password_cannot_log_in(client: httpx.AsyncClient, app: FastAPI) -> None:
    user = await create_user(client)

    assert (await login(app, user["email"], "anything-at-all")).status_code == 401


async def test_password_is_never_returned(client: httpx.AsyncClient) -> None:
    user = await create_user(client, name="Secretive", password=PASSWORD)
    path = f"/users/{user['id']}"
    responses = [
        await client.get(path),
        await client.get("/users"),
        await client.get("/users/search", params={"name": "secretive"}),
        await client.patch(path, json={"password": "another-password"}),
        await client.put(path, json={"email": user["email"], "name": "Secretive"}),
    ]

    for response in responses:
        assert response.status_code == 200, response.text
        for leak in ("password", PASSWORD, "another-password", "$argon2"):
            assert leak not in response.text


async def test_search_by_name_ignores_case(client: httpx.AsyncClient) -> None:
    ann = await create_user(client, name="Annabel Lee")
    joanna = await create_user(client, name="JOANNA")
    await create_user(client, name="Bob")

    response = await client.get("/users/search", params={"name": "anNA"})

    assert ids(response) == [ann["id"], joanna["id"]]
    assert response.headers["X-Total-Count"] == "2"


@pytest.mark.parametrize(("query", "expected"), [("100%", ["100% cotton"]), ("a_b", ["a_b"]), ("\\", ["back\\slash"])])
async def test_search_takes_wildcards_literally(client: httpx.AsyncClient, query: str, expected: list[str]) -> None:
    for name in ("100% cotton", "100 cotton", "1000 cotton", "a_b", "axb", "back\\slash"):
        await create_user(client, name=name)

    response = await client.get("/users/search", params={"name": query})

    assert response.status_code == 200
    assert [item["name"] for item in response.json()] == expected


async def test_search_created_after_a_date(client: httpx.AsyncClient, app: FastAPI) -> None:
    old = await insert_user(app, created_at=utcnow() - timedelta(days=30))
    recent = await create_user(client, name="Recent")
    cutoff = (utcnow() - timedelta(days=1)).date().isoformat()

    response = await client.get("/users/search", params={"created_after": cutoff, "name": "Recent"})
    everyone = await client.get("/users/search", params={"created_after": cutoff, "limit": 100})

    assert ids(response) == [recent["id"]]
    assert old.id not in ids(everyone)
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    assert ids(await client.get("/users/search", params={"created_after": tomorrow})) == []


@pytest.mark.parametrize("offset", [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))])
async def test_search_created_after_a_datetime(client: httpx.AsyncClient, offset: timezone) -> None:
    first, second, third = [await create_user(client, name=unique("Timed")) for _ in range(3)]
    cutoff = datetime.fromisoformat(second["created_at"].replace("Z", "+00:00")).astimezone(offset)

    response = await client.get(
        "/users/search", params={"created_after": cutoff.isoformat(), "name": "Timed", "limit": 100}
    )

    assert ids(response) == [second["id"], third["id"]]
    assert first["id"] not in ids(response)


@pytest.mark.parametrize("value", ["last tuesday", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
async def test_search_created_after_an_invalid_or_unrepresentable_time_is_422(
    client: httpx.AsyncClient, value: str
) -> None:
    response = await client.get("/users/search", params={"created_after": value})

    assert response.status_code == 422
    assert response.json()["details"][0]["loc"] == ["query", "created_after"]


async def test_stats_counts_all_recent_and_active_users(client: httpx.AsyncClient, app: FastAPI) -> None:
    await create_user(client)
    await create_user(client, is_active=False)
    await insert_user(app, created_at=utcnow() - timedelta(days=8))
    await insert_user(app, created_at=utcnow() - timedelta(days=6), is_active=False)

    response = await client.get("/users/stats")

    assert response.status_code == 200
    # the calling superuser counts too
    assert response.json() == {"total": 5, "created_last_7_days": 4, "active": 3}


async def test_times_are_utc(client: httpx.AsyncClient) -> None:
    user = await create_user(client)

    for field in ("created_at", "updated_at"):
        moment = datetime.fromisoformat(user[field].replace("Z", "+00:00"))
        assert moment.utcoffset() == timedelta(0)
        assert abs(datetime.now(UTC) - moment) < timedelta(minutes=1)
