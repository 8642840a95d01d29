"""ETag out, If-Match in: a stale writer gets 412 and changes nothing; concurrent writers lose nothing."""

import asyncio
import itertools
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.auth.accounts import User
from app.modules.users.service import UserService
from tests.factories import create_user
from tests.rows import stored_user

WRITES: list[tuple[str, dict[str, Any] | None]] = [
    ("PATCH", {"name": "Changed"}),
    ("PUT", {"email": "changed@example.com", "name": "Changed"}),
    ("DELETE", None),
]


async def write(
    client: httpx.AsyncClient, method: str, user_id: int, body: dict[str, Any] | None, if_match: str | None
) -> httpx.Response:
    headers = {"If-Match": if_match} if if_match is not None else {}
    return await client.request(method, f"/users/{user_id}", json=body, headers=headers)


async def test_single_resource_responses_carry_the_version_as_etag(client: httpx.AsyncClient) -> None:
    created = await client.post("/users", json={"email": "etag@example.com", "name": "Etag"})
    user_id = created.json()["id"]
    fetched = await client.get(f"/users/{user_id}")
    patched = await client.patch(f"/users/{user_id}", json={"name": "Patched"})
    replaced = await client.put(f"/users/{user_id}", json={"email": "etag@example.com", "name": "Replaced"})

    for response, version in ((created, 1), (fetched, 1), (patched, 2), (replaced, 3)):
        assert response.status_code in (200, 201), response.text
        assert response.headers["ETag"] == f'"{version}"'
        assert response.json()["version"] == version


@pytest.mark.parametrize(("method", "body"), WRITES)
async def test_stale_if_match_is_412_and_changes_nothing(
    client: httpx.AsyncClient, app: FastAPI, method: str, body: dict[str, Any] | None
) -> None:
    user = await create_user(client, name="Original")
    await client.patch(f"/users/{user['id']}", json={"surname": "Bumped"})  # now at version 2

    response = await write(client, method, user["id"], body, '"1"')

    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    row = await stored_user(app, user["id"])
    assert row is not None
    assert (row.version, row.name, row.email) == (2, "Original", user["email"])


@pytest.mark.parametrize("if_match", ['"2"', 'W/"2"', "*"])
@pytest.mark.parametrize(("method", "body"), WRITES[:2])
async def test_matching_if_match_applies_and_bumps_the_version(
    client: httpx.AsyncClient, method: str, body: dict[str, Any], if_match: str
) -> None:
    user = await create_user(client)
    await client.patch(f"/users/{user['id']}", json={"surname": "Bumped"})

    response = await write(client, method, user["id"], body, if_match)

    assert response.status_code == 200, response.text
    assert response.json()["version"] == 3
    assert response.json()["name"] == "Changed"
    assert response.headers["ETag"] == '"3"'


@pytest.mark.parametrize("if_match", ['"1"', 'W/"1"', "*"])
async def test_matching_if_match_deletes(client: httpx.AsyncClient, app: FastAPI, if_match: str) -> None:
    user = await create_user(client)

    response = await write(client, "DELETE", user["id"], None, if_match)

    assert response.status_code == 204
    assert await stored_user(app, user["id"]) is None


@pytest.mark.parametrize("if_match", ["abc", '"one"', '"-1"'])
async def test_if_match_that_is_no_etag_of_ours_is_412(client: httpx.AsyncClient, app: FastAPI, if_match: str) -> None:
    user = await create_user(client, name="Original")

    response = await write(client, "PATCH", user["id"], {"name": "Changed"}, if_match)

    assert response.status_code == 412
    row = await stored_user(app, user["id"])
    assert row is not None
    assert (row.version, row.name) == (1, "Original")


def make_the_next_two_writes_overlap(monkeypatch: pytest.MonkeyPatch, app: FastAPI) -> None:
    """Hold each of the next two updates after its read until the other has read too.

    Left to the scheduler, one request often finishes before the other reads, and the race
    is never run. Meeting in `check_write` (inside the transaction, after the read, before
    the UPDATE) makes both UPDATEs carry the same `WHERE version = 1`, every time.
    On SQLite a process runs one writing transaction at a time: they cannot overlap there,
    and the second reads what the first committed.
    """
    if app.state.engine.dialect.name == "sqlite":
        return
    barrier = asyncio.Barrier(2)
    arrivals = itertools.count()
    check_write = UserService.check_write

    async def meet_then_check(self: UserService, values: dict[str, Any], current: User | None) -> None:
        if next(arrivals) < 2:
            async with asyncio.timeout(10):  # one writer alone would wait forever: fail instead
                await barrier.wait()
        await check_write(self, values, current)

    monkeypatch.setattr(UserService, "check_write", meet_then_check)


@pytest.mark.usefixtures("committed")  # requests at once
async def test_two_writers_with_the_same_if_match_one_wins(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await create_user(client, name="Original")
    names = ["Alpha", "Beta"]
    make_the_next_two_writes_overlap(monkeypatch, app)

    responses = await asyncio.gather(*(write(client, "PATCH", user["id"], {"name": n}, '"1"') for n in names))

    assert sorted(response.status_code for response in responses) == [200, 412]
    winner = names[[response.status_code for response in responses].index(200)]
    loser = next(response for response in responses if response.status_code == 412)
    assert loser.json()["code"] == "precondition_failed"
    row = await stored_user(app, user["id"])
    assert row is not None
    assert (row.name, row.version) == (winner, 2)


@pytest.mark.usefixtures("committed")  # requests at once
async def test_two_writers_without_if_match_both_apply(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await create_user(client, name="Original")
    make_the_next_two_writes_overlap(monkeypatch, app)

    responses = await asyncio.gather(
        write(client, "PATCH", user["id"], {"name": "Renamed"}, None),
        write(client, "PATCH", user["id"], {"surname": "Added"}, None),
    )

    assert [response.status_code for response in responses] == [200, 200]
    row = await stored_user(app, user["id"])
    assert row is not None
    assert (row.name, row.surname, row.version) == ("Renamed", "Added", 3)


@pytest.mark.parametrize("tag", ['"²"', "¹", '"1 "'])
async def test_if_match_that_is_not_ascii_digits_is_412(client: httpx.AsyncClient, tag: str) -> None:
    user = await create_user(client)

    response = await client.patch(f"/users/{user['id']}", json={"name": "X"}, headers=[(b"If-Match", tag.encode())])

    assert response.status_code == 412
