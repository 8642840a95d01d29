"""Ownership scopes: `create:own`, `update:own`, `delete:own` on modules whose rows have an owner."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.auth.dependencies import Principal
from app.auth.tokens import TokenClaims
from app.core.errors import Forbidden
from app.core.models import utcnow
from app.modules.posts.service import PostService
from tests.factories import create_post, create_task, create_user
from tests.identities import client_for, create_identity

OWN_WRITES = ["create:own", "update:own", "delete:own"]


async def test_the_catalogue_shows_which_modules_have_scopes(client: httpx.AsyncClient) -> None:
    response = await client.get("/rbac/modules")

    scopes = {entry["module"]: entry["scopes"] for entry in response.json()}
    assert scopes == {
        "users": [],
        "posts": ["own"],
        "products": [],
        "tasks": ["own"],
        "customers": [],
        "roles": [],
        "audit": [],
    }


@pytest.mark.parametrize(
    "permissions",
    [{"products": ["update:own"]}, {"users": ["delete:own"]}, {"roles": ["create:own"]}, {"posts": ["read:own"]}],
    ids=["products", "users", "roles", "read-is-never-scoped"],
)
async def test_own_where_rows_have_no_owner_is_422(client: httpx.AsyncClient, permissions: dict[str, Any]) -> None:
    created = await client.post("/roles", json={"name": "scoped", "permissions": permissions})
    role = await client.post("/roles", json={"name": "plain"})
    patched = await client.patch(f"/roles/{role.json()['id']}", json={"permissions": permissions})

    assert (created.status_code, patched.status_code) == (422, 422)
    assert created.json()["code"] == "validation_error"


async def test_a_role_shows_scoped_actions_and_drops_those_an_unscoped_one_implies(
    client: httpx.AsyncClient,
) -> None:
    permissions = {"posts": ["update:own", "delete:own", "delete"], "tasks": ["create:own"]}

    response = await client.post("/roles", json={"name": "authors", "permissions": permissions})

    assert response.status_code == 201
    assert response.json()["permissions"] == {
        "posts": ["read", "update:own", "delete"],
        "tasks": ["read", "create:own"],
    }


async def test_me_lists_scoped_permissions(app: FastAPI) -> None:
    _, token = await create_identity(app, permissions={"posts": ["update:own"]})
    async with client_for(app, token) as caller:
        body = (await caller.get("/auth/me")).json()

    assert body["permissions"] == ["posts:read", "posts:update:own"]


async def scoped_author(app: FastAPI, grants: list[str]) -> tuple[int, httpx.AsyncClient]:
    user_id, token = await create_identity(app, permissions={"posts": grants})
    return user_id, client_for(app, token)


async def test_update_own_reaches_only_the_callers_posts(app: FastAPI, client: httpx.AsyncClient) -> None:
    author_id, author = await scoped_author(app, ["update:own"])
    mine = await create_post(client, user_id=author_id)
    theirs = await create_post(client)  # the superuser's
    async with author:
        own_patch = await author.patch(f"/posts/{mine['id']}", json={"title": "Mine"})
        own_put = await author.put(f"/posts/{mine['id']}", json={"title": "Mine", "content": "All mine"})
        other_patch = await author.patch(f"/posts/{theirs['id']}", json={"title": "Hijacked"})
        other_put = await author.put(f"/posts/{theirs['id']}", json={"title": "Hijacked", "content": "x"})
        give_away = await author.patch(f"/posts/{mine['id']}", json={"user_id": theirs["user_id"]})

    assert (own_patch.status_code, own_put.status_code) == (200, 200)
    assert [other_patch.status_code, other_put.status_code, give_away.status_code] == [403, 403, 403]
    assert other_patch.json()["message"].startswith("missing posts:update")
    unchanged = (await client.get(f"/posts/{theirs['id']}")).json()
    assert (unchanged["title"], unchanged["version"]) == (theirs["title"], 1)
    assert (await client.get(f"/posts/{mine['id']}")).json()["user_id"] == author_id


async def test_create_own_writes_only_as_the_caller(app: FastAPI, client: httpx.AsyncClient) -> None:
    author_id, author = await scoped_author(app, ["create:own"])
    someone = await create_user(client)
    async with author:
        implicit = await author.post("/posts", json={"title": "T", "content": "C"})
        explicit = await author.post("/posts", json={"title": "T", "content": "C", "user_id": author_id})
        as_someone = await author.post("/posts", json={"title": "T", "content": "C", "user_id": someone["id"]})

    assert (implicit.status_code, explicit.status_code, as_someone.status_code) == (201, 201, 403)
    assert implicit.json()["user_id"] == author_id
    listed = await client.get("/posts", params={"user_id": someone["id"]})
    assert listed.json() == []


async def test_delete_own_deletes_only_the_callers_posts(app: FastAPI, client: httpx.AsyncClient) -> None:
    author_id, author = await scoped_author(app, ["delete:own"])
    mine = await create_post(client, user_id=author_id)
    theirs = await create_post(client)
    async with author:
        other = await author.delete(f"/posts/{theirs['id']}")
        own = await author.delete(f"/posts/{mine['id']}")

    assert (own.status_code, other.status_code) == (204, 403)
    assert (await client.get(f"/posts/{theirs['id']}")).status_code == 200


async def test_an_unscoped_action_implies_its_own(app: FastAPI, client: httpx.AsyncClient) -> None:
    author_id, author = await scoped_author(app, ["update"])
    mine = await create_post(client, user_id=author_id)
    theirs = await create_post(client)
    async with author:
        statuses = [
            (await author.patch(f"/posts/{post['id']}", json={"title": "Edited"})).status_code
            for post in (mine, theirs)
        ]

    assert statuses == [200, 200]


async def test_tasks_are_owned_by_their_assignee(app: FastAPI, client: httpx.AsyncClient) -> None:
    assignee_id, token = await create_identity(app, permissions={"tasks": OWN_WRITES})
    other = await create_user(client)
    mine = await create_task(client, assignee_id=assignee_id)
    unassigned = await create_task(client)
    theirs = await create_task(client, assignee_id=other["id"])
    async with client_for(app, token) as assignee:
        create_unassigned = await assignee.post("/tasks", json={"title": "Mine to take"})
        create_own = await assignee.post("/tasks", json={"title": "Mine", "assignee_id": assignee_id})
        create_theirs = await assignee.post("/tasks", json={"title": "Theirs", "assignee_id": other["id"]})
        update_own = await assignee.patch(f"/tasks/{mine['id']}", json={"status": "done"})
        update_unassigned = await assignee.patch(f"/tasks/{unassigned['id']}", json={"assignee_id": assignee_id})
        update_theirs = await assignee.patch(f"/tasks/{theirs['id']}", json={"status": "done"})
        hand_over = await assignee.patch(f"/tasks/{mine['id']}", json={"assignee_id": other["id"]})
        delete_theirs = await assignee.delete(f"/tasks/{theirs['id']}")
        unassign_own = await assignee.patch(f"/tasks/{mine['id']}", json={"assignee_id": None})

    assert [create_unassigned.status_code, create_own.status_code, create_theirs.status_code] == [201, 201, 403]
    assert update_own.status_code == 200
    assert [update_unassigned.status_code, update_theirs.status_code, hand_over.status_code] == [403, 403, 403]
    assert delete_theirs.status_code == 403
    assert unassign_own.status_code == 200
    assert (await client.get(f"/tasks/{theirs['id']}")).json()["status"] == "todo"


async def test_reading_is_not_scoped(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, author = await scoped_author(app, ["update:own"])
    theirs = await create_post(client)
    async with author:
        one = await author.get(f"/posts/{theirs['id']}")
        listed = await author.get("/posts")

    assert one.status_code == 200
    assert [post["id"] for post in listed.json()] == [theirs["id"]]


async def test_a_scoped_grant_is_checked_by_the_service_whatever_the_route(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """The rule lives in the service: a write path that calls it cannot skip it."""
    author_id, _ = await create_identity(app, permissions={"posts": ["update:own"]})
    theirs = await create_post(client)
    claims = TokenClaims(author_id, "s", "j", "access", utcnow())
    caller = Principal(author_id, False, claims, frozenset({"posts:read", "posts:update:own"}))
    async with app.state.session_factory() as session:
        with pytest.raises(Forbidden):
            await PostService(session, caller).update(theirs["id"], {"title": "Hijacked"})
        with pytest.raises(Forbidden):
            await PostService(session, caller).delete(theirs["id"])
