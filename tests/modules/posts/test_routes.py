"""Posts: the author defaults to the caller, references to users, the per-user stats.
The shared contract (401, 403, 404, 412, ETags, pagination) is in
tests/modules/test_crud_contract.py."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.errors import BadRequest
from app.modules.posts.repository import PostRepository
from tests.factories import create_post, create_user
from tests.identities import client_for, create_identity


async def test_the_author_defaults_to_the_caller(app: FastAPI, admin: tuple[int, str]) -> None:
    writer_id, token = await create_identity(app, permissions={"posts": ["create", "update"]})

    async with client_for(app, token) as writer:
        created = await writer.post("/posts", json={"title": "Hello", "content": "World"})
        replaced = await writer.put(f"/posts/{created.json()['id']}", json={"title": "Hi", "content": "All"})
    async with client_for(app, admin[1]) as other:
        taken_over = await other.put(f"/posts/{created.json()['id']}", json={"title": "Mine", "content": "Now"})

    assert created.status_code == 201
    assert created.json()["user_id"] == writer_id
    assert replaced.json()["user_id"] == writer_id
    assert taken_over.json()["user_id"] == admin[0]  # PUT without user_id: the caller, as on create


async def test_an_explicit_author_must_exist(client: httpx.AsyncClient) -> None:
    author = await create_user(client)
    post = await create_post(client, user_id=author["id"])
    item = f"/posts/{post['id']}"

    missing = await client.post("/posts", json={"title": "T", "content": "C", "user_id": 999_999})
    patched = await client.patch(item, json={"user_id": 999_999})
    null_author = await client.patch(item, json={"user_id": None})

    assert post["user_id"] == author["id"]
    assert (missing.status_code, missing.json()["code"]) == (400, "bad_request")
    assert "user_id" in missing.json()["message"]
    assert patched.status_code == 400
    assert null_author.status_code == 422
    assert (await client.get(item)).json()["user_id"] == author["id"]


async def test_the_database_enforces_the_author_too(app: FastAPI) -> None:
    # The service checks first; the foreign key is what holds against a concurrent user delete.
    async with app.state.session_factory() as session:
        with pytest.raises(BadRequest):
            await PostRepository(session).create({"title": "T", "content": "C", "user_id": 999_999})
        await session.rollback()


@pytest.mark.parametrize(
    "body",
    [
        {"content": "No title"},
        {"title": "No content"},
        {"title": "", "content": "Empty title"},
        {"title": "T" * 201, "content": "Long title"},
        {"title": "T", "content": "C", "user_id": "me"},
        {"title": "T", "content": "C", "user_id": 0},
    ],
)
async def test_invalid_body_is_422(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    assert (await client.post("/posts", json=body)).status_code == 422


async def test_patch_changes_only_given_fields(client: httpx.AsyncClient) -> None:
    post = await create_post(client, title="Before", content="Body")

    patched = await client.patch(f"/posts/{post['id']}", json={"title": "After"})

    assert (patched.json()["title"], patched.json()["content"], patched.json()["user_id"]) == (
        "After",
        "Body",
        post["user_id"],
    )


async def test_filter_by_user_and_sorts(client: httpx.AsyncClient) -> None:
    ann, bob = await create_user(client), await create_user(client)
    b_post = await create_post(client, user_id=ann["id"], title="b")
    a_post = await create_post(client, user_id=ann["id"], title="a")
    await create_post(client, user_id=bob["id"], title="c")

    by_ann = await client.get("/posts", params={"user_id": ann["id"], "sort": "title"})
    newest = await client.get("/posts", params={"sort": "-created_at"})
    by_author = await client.get("/posts", params={"sort": "-user_id,title"})

    assert [p["id"] for p in by_ann.json()] == [a_post["id"], b_post["id"]]
    assert by_ann.headers["X-Total-Count"] == "2"
    assert [p["title"] for p in newest.json()] == ["c", "a", "b"]
    assert [p["title"] for p in by_author.json()] == ["c", "a", "b"]
    assert (await client.get("/posts", params={"user_id": "x"})).status_code == 422


async def test_stats_count_posts_per_user_most_first(client: httpx.AsyncClient, admin: tuple[int, str]) -> None:
    ann, bob, _no_posts = await create_user(client), await create_user(client), await create_user(client)
    for author, count in ((ann, 1), (bob, 3)):
        for _ in range(count):
            await create_post(client, user_id=author["id"])
    for _ in range(2):
        await create_post(client)  # the admin

    response = await client.get("/posts/stats")
    top = await client.get("/posts/stats", params={"limit": 1})

    assert response.status_code == 200
    assert response.json() == [
        {"user_id": bob["id"], "post_count": 3},
        {"user_id": admin[0], "post_count": 2},
        {"user_id": ann["id"], "post_count": 1},
    ]
    assert top.json() == [{"user_id": bob["id"], "post_count": 3}]
    assert top.headers["X-Total-Count"] == "3"
    assert 'rel="next"' in top.headers["Link"]


async def test_stats_without_posts_is_empty_and_needs_read(
    app: FastAPI, client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    _, token = await create_identity(app, permissions={"tasks": []})

    async with client_for(app, token) as stranger:
        forbidden = await stranger.get("/posts/stats")

    assert (await client.get("/posts/stats")).json() == []
    assert forbidden.status_code == 403
    assert (await anon_client.get("/posts/stats")).status_code == 401
