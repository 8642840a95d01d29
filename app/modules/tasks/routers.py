from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response, status
from sqlalchemy import Row

from app.auth.dependencies import Principal, require, service_for
from app.core.http import IfMatch, IfNoneMatch, current_or_not_modified, location, with_etag
from app.core.list_cache import CachedList, cached_list
from app.core.pagination import SortedListQuery, sort_field
from app.core.routing import PrefixedRouter
from app.core.schemas import Id
from app.modules.tasks.models import Task
from app.modules.tasks.schemas import TaskCreate, TaskFilters, TaskRead, TaskReplace, TaskUpdate
from app.modules.tasks.service import TaskService

router = PrefixedRouter(prefix="/tasks", tags=["tasks"])

ListCache = Annotated[CachedList, Depends(cached_list(Task))]
Service = Annotated[TaskService, Depends(service_for(TaskService))]


class TaskQuery(TaskFilters, SortedListQuery):
    sortable = ("id", "title", "status", "priority", "due_date", "created_at", "updated_at")
    sort: str = sort_field(sortable)


@router.get("", response_model=list[TaskRead])
async def list_tasks(
    query: Annotated[TaskQuery, Query()], principal: Annotated[Principal, require("tasks", "read")], cache: ListCache
) -> object:
    """List tasks, filtered by status, priority, assignee, customer and due date."""
    return await cache.respond(
        query, lambda session: TaskService(session, principal).search(query.pagination, query.order, query)
    )


@router.post(
    "", response_model=TaskRead, status_code=status.HTTP_201_CREATED, dependencies=[require("tasks", "create")]
)
async def create_task(body: TaskCreate, service: Service, response: Response, request: Request) -> Task:
    """Create a task."""
    task = await service.create(body.model_dump())
    response.headers["Location"] = location(request, task.id)
    with_etag(response, task)
    return task


@router.get("/{task_id}", response_model=TaskRead, dependencies=[require("tasks", "read")])
async def get_task(
    task_id: Id, service: Service, response: Response, if_none_match: IfNoneMatch = None
) -> Row[Any] | Response:
    """Get one task (304 when `If-None-Match` holds its current ETag)."""
    return current_or_not_modified(await service.read(task_id), response, if_none_match)


@router.put("/{task_id}", response_model=TaskRead, dependencies=[require("tasks", "update")])
async def replace_task(task_id: Id, body: TaskReplace, service: Service, if_match: IfMatch, response: Response) -> Task:
    """Replace a task's writable fields; optional ones left out go back to their defaults."""
    task = await service.update(task_id, body.model_dump(), if_match)
    with_etag(response, task)
    return task


@router.patch("/{task_id}", response_model=TaskRead, dependencies=[require("tasks", "update")])
async def update_task(task_id: Id, body: TaskUpdate, service: Service, if_match: IfMatch, response: Response) -> Task:
    """Change the given fields of a task."""
    task = await service.update(task_id, body.changes(), if_match)
    with_etag(response, task)
    return task


@router.delete(
    "/{task_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,  # no body, so no content-type
    dependencies=[require("tasks", "delete")],
)
async def delete_task(task_id: Id, service: Service, if_match: IfMatch) -> None:
    """Delete a task."""
    await service.delete(task_id, if_match)
