"""Deleting a user deletes its posts and unassigns its tasks, row by row through the ORM
(so audit hooks see each change), in the same transaction as the user delete."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, func, select
from sqlmodel import col

from app.core import repository as core_repository
from app.modules.posts.models import Post
from app.modules.tasks.models import Task
from tests.database import rows, scalar
from tests.factories import create_post, create_task, create_user


@pytest.fixture
def orm_post_deletes() -> Iterator[list[int]]:
    """Ids of posts deleted by the ORM's unit of work (a database cascade would not show here)."""
    deleted: list[int] = []

    def record(_mapper: Any, _connection: Any, post: Post) -> None:
        deleted.append(post.id or 0)

    event.listen(Post, "after_delete", record)
    yield deleted
    event.remove(Post, "after_delete", record)


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core_repository, "_BATCH_SIZE", 2)  # three rows then take two batches


async def owned_by(client: httpx.AsyncClient, user_id: int) -> tuple[list[int], list[int]]:
    posts = [(await create_post(client, user_id=user_id))["id"] for _ in range(3)]
    tasks = [(await create_task(client, assignee_id=user_id))["id"] for _ in range(3)]
    return posts, tasks


@pytest.mark.usefixtures("small_batches")
async def test_posts_are_deleted_and_tasks_unassigned(
    app: FastAPI, client: httpx.AsyncClient, orm_post_deletes: list[int]
) -> None:
    leaving, staying = await create_user(client), await create_user(client)
    posts, tasks = await owned_by(client, leaving["id"])
    kept_posts, kept_tasks = await owned_by(client, staying["id"])

    assert (await client.delete(f"/users/{leaving['id']}")).status_code == 204

    remaining_posts = await rows(app, select(col(Post.id)).order_by(col(Post.id)))
    stored_tasks = await rows(
        app, select(col(Task.id), col(Task.assignee_id), col(Task.version)).order_by(col(Task.id))
    )
    assert [post_id for (post_id,) in remaining_posts] == kept_posts
    assert sorted(orm_post_deletes) == posts
    # Unassigned through the ORM: each task's version moved on (a SET NULL in the database would not).
    assert stored_tasks == [(t, None, 2) for t in tasks] + [(t, staying["id"], 1) for t in kept_tasks]
    assert (await client.get(f"/tasks/{tasks[0]}")).json()["assignee_id"] is None


async def test_a_refused_delete_leaves_posts_and_tasks_alone(app: FastAPI, client: httpx.AsyncClient) -> None:
    user = await create_user(client)
    posts, tasks = await owned_by(client, user["id"])

    stale = await client.delete(f"/users/{user['id']}", headers={"If-Match": '"7"'})

    assert stale.status_code == 412
    assert await scalar(app, select(func.count()).select_from(Post).where(col(Post.user_id) == user["id"])) == 3
    assigned = await scalar(app, select(func.count()).select_from(Task).where(col(Task.assignee_id) == user["id"]))
    assert assigned == len(tasks) == len(posts)
