"""The history routes every domain module gets: history, versions, revert, restore.

`with_record_history(module, router, service_class)` adds them to the module's router, under
its prefix, with the module's permissions. They answer with the shape of the module's own
`GET /{prefix}/{id}` (its `response_model`), so a secret a GET leaves out stays out here too.
"""

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.routing import APIRoute

from app.audit.history import RecordHistory
from app.audit.schemas import HistoryEntry, RevertRequest
from app.auth.dependencies import require, service_for
from app.core.http import IfMatch, with_etag
from app.core.openapi import error_responses
from app.core.pagination import ListQuery, NoFilters, list_query
from app.core.schemas import Id
from app.core.service import CrudService

history_query = list_query(NoFilters)
HistoryQuery = Annotated[ListQuery[NoFilters], Depends(history_query)]
COMPLETE_HEADER = "X-History-Complete"


def with_record_history(module: str, router: APIRouter, service_class: type[CrudService[Any]]) -> APIRouter:
    """`router` with the history routes of `module` added (permission module = `module`)."""
    router.include_router(_history_router(module, service_class, _read_model(router)))
    return router


def _read_model(router: APIRouter) -> Any:
    """The response model of the router's `GET {prefix}/{id}`."""
    by_id = re.compile(re.escape(router.prefix) + r"/\{\w+\}")
    for route in router.routes:
        if isinstance(route, APIRoute) and "GET" in (route.methods or ()) and by_id.fullmatch(route.path):
            return route.response_model
    raise ValueError(f"{router.prefix}: a module needs a GET {router.prefix}/{{id}} route for its history routes")


def _history_router(module: str, service_class: type[CrudService[Any]], read_model: Any) -> APIRouter:
    router = APIRouter()
    build_service = service_for(service_class)
    name = service_class.resource_name.lower()

    async def record_history(request: Request) -> RecordHistory:
        return RecordHistory(await build_service(request))

    History = Annotated[RecordHistory, Depends(record_history)]
    reading = [require(module, "read"), require("audit", "read")]

    @router.get(
        "/{record_id}/history",
        response_model=list[HistoryEntry],
        dependencies=reading,
        openapi_extra=history_query.openapi,
        description=f"Every recorded change of a {name}, newest first, also once it was deleted. "
        f"`{COMPLETE_HEADER}: false` when older changes were moved to cold storage.",
    )
    async def history(record_id: Id, query: HistoryQuery, history: History) -> object:
        result = await history.history(record_id, query.pagination)
        query.pagination.response.headers[COMPLETE_HEADER] = "true" if result.complete else "false"
        return query.pagination.respond(result.page)

    @router.get(
        "/{record_id}/versions/{version}",
        response_model=dict[str, Any],
        dependencies=reading,
        description=f"A {name} as it stood at one version, every stored field (secrets masked).",
    )
    async def version(record_id: Id, version: Id, history: History) -> dict[str, Any]:
        return await history.version(record_id, version)

    @router.post(
        "/{record_id}/revert",
        response_model=read_model,
        dependencies=[require(module, "update")],
        responses=error_responses(409),
        description=f"Set a {name}'s writable fields back to a version's, as one new update.",
    )
    async def revert(
        record_id: Id, body: RevertRequest, history: History, if_match: IfMatch, response: Response
    ) -> Any:
        record = await history.revert(record_id, body.version, if_match)
        with_etag(response, record)
        return record

    @router.post(
        "/{record_id}/restore",
        response_model=read_model,
        status_code=status.HTTP_201_CREATED,
        dependencies=[require(module, "create")],
        responses=error_responses(409),
        description=f"Put a deleted {name} back, with its id and its last state.",
    )
    async def restore(record_id: Id, history: History, request: Request, response: Response) -> Any:
        record = await history.restore(record_id)
        response.headers["Location"] = request.url.path.removesuffix("/").removesuffix("/restore")
        with_etag(response, record)
        return record

    return router
