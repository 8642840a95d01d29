"""The last active superuser cannot be deleted, deactivated or demoted, even by two at once."""

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlmodel import col

from app.auth.accounts import User
from tests.identities import client_for, create_identity

LAST = "The last active superuser cannot be deleted, deactivated or demoted"


async def active_superusers(app: FastAPI) -> int:
    async with app.state.session_factory() as session:
        statement = select(func.count()).where(col(User.is_superuser).is_(True), col(User.is_active).is_(True))
        return int(await session.scalar(statement) or 0)


@pytest.mark.parametrize(
    ("method", "body"),
    [("DELETE", None), ("PATCH", {"is_active": False}), ("PATCH", {"is_superuser": False})],
    ids=["delete", "deactivate", "demote"],
)
async def test_the_only_superuser_cannot_remove_itself(app: FastAPI, method: str, body: dict[str, bool] | None) -> None:
    only_id, token = await create_identity(app, is_superuser=True)
    async with client_for(app, token) as only:
        response = await only.request(method, f"/users/{only_id}", json=body)
        still = await only.get(f"/users/{only_id}")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert response.json()["message"] == LAST
    assert (still.json()["is_superuser"], still.json()["is_active"], still.json()["version"]) == (True, True, 1)


async def test_a_superuser_may_go_while_another_stays(app: FastAPI) -> None:
    first_id, first = await create_identity(app, is_superuser=True)
    second_id, _ = await create_identity(app, is_superuser=True)
    inactive_id, _ = await create_identity(app, is_superuser=True, is_active=False)
    async with client_for(app, first) as caller:
        demoted = await caller.patch(f"/users/{second_id}", json={"is_superuser": False})
        inactive_deleted = await caller.delete(f"/users/{inactive_id}")
        self_delete = await caller.delete(f"/users/{first_id}")

    assert (demoted.status_code, inactive_deleted.status_code) == (200, 204)
    assert self_delete.status_code == 409  # an inactive superuser does not count
    assert await active_superusers(app) == 1


@pytest.mark.usefixtures("committed")  # requests at once
@pytest.mark.parametrize(
    ("method", "body"),
    [("DELETE", None), ("PATCH", {"is_active": False}), ("PATCH", {"is_superuser": False})],
    ids=["delete", "deactivate", "demote"],
)
async def test_two_superusers_removing_each_other_at_once_leave_one(
    app: FastAPI, method: str, body: dict[str, bool] | None
) -> None:
    for _ in range(5):  # a race: several rounds, each must leave exactly one
        first_id, first = await create_identity(app, is_superuser=True)
        second_id, second = await create_identity(app, is_superuser=True)
        async with client_for(app, first) as one, client_for(app, second) as other:
            responses = await asyncio.gather(
                one.request(method, f"/users/{second_id}", json=body),
                other.request(method, f"/users/{first_id}", json=body),
            )

        # The loser is refused: 409 when its write came second, or, when the winner's commit
        # landed before the loser was authenticated, as the user it has become (gone or
        # deactivated: 401; demoted: 403).
        winner, loser = sorted(responses, key=lambda response: response.status_code >= 400)
        assert winner.status_code in (200, 204)
        assert loser.status_code in (401, 403, 409)
        assert await active_superusers(app) == 1
        await _clear_superusers(app)


async def _clear_superusers(app: FastAPI) -> None:
    async with app.state.session_factory() as session:
        for user in await session.scalars(select(User).where(col(User.is_superuser).is_(True))):
            user.is_superuser = False
        await session.commit()


async def test_a_superuser_deleting_the_other_succeeds_when_three_remain(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    victim = await client.post("/users", json={"email": "v@example.com", "name": "V", "is_superuser": True})

    response = await client.delete(f"/users/{victim.json()['id']}")

    assert response.status_code == 204
    assert await active_superusers(app) == 1
