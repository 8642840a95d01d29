"""The history routes every domain module gets: history, versions, revert, restore.

`with_record_history(module, router, service_class)` adds them to the module's router, under
its prefix, with the module's permissions. They answer with the shape of the module's own
`GET /{prefix}/{id}` (its `response_model`), so a secret a GET leaves out stays out here too.
"""

import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.routing import APIRoute

from app.audit.history import RecordHistory
from app.audit.schemas import HistoryEntry, RevertRequest
from app.auth.dependencies import require, service_for
from app.core.http import IfMatch, with_etag
from app.core.openapi import error_responses
from app.core.pagination import ListQuery, Paged
from app.core.schemas import Id
from app.core.service import CrudService

COMPLETE_HEADER = "X-History-Complete"


def with_record_history(module: str, router: APIRouter, service_class: type[CrudService[Any]]) -> APIRouter:
    """`router` with the history routes of `module` added (permission module = `module`)."""
    history = APIRouter()
    name = service_class.resource_name.lower()
    record_history = _record_history(service_class)
    _add_reads(history, module, name, record_history)
    _add_writes(history, module, name, record_history, _read_model(router))
    router.include_router(history)
    return router


def _read_model(router: APIRouter) -> Any:
    """The response model of the router's `GET {prefix}/{id}`."""
    by_id = re.compile(re.escape(router.prefix) + r"/\{\w+\}")
    for route in router.routes:
        if isinstance(route, APIRoute) and "GET" in (route.methods or ()) and by_id.fullmatch(route.path):
            return route.response_model
    raise ValueError(f"{router.prefix}: a module needs a GET {router.prefix}/{{id}} route for its history routes")


HistoryOf = Callable[[CrudService[Any]], Awaitable[RecordHistory]]


def _record_history(service_class: type[CrudService[Any]]) -> HistoryOf:
    """The dependency: the history of `service_class`'s records, read through the request's service."""
    Service = Annotated[CrudService[Any], Depends(service_for(service_class))]

    async def record_history(service: Service) -> RecordHistory:
        return RecordHistory(service)

    return record_history


def _add_reads(router: APIRouter, module: str, name: str, record_history: HistoryOf) -> None:
    History = Annotated[RecordHistory, Depends(record_history)]
    reading = [require(module, "read"), require("audit", "read")]

    @router.get(
        "/{record_id}/history",
        response_model=list[HistoryEntry],
        dependencies=reading,
        description=f"Every recorded change of a {name}, newest first, also once it was deleted. "
        f"`{COMPLETE_HEADER}: false` when older changes were moved to cold storage.",
    )
    async def history(record_id: Id, query: Annotated[ListQuery, Query()], history: History, paged: Paged) -> object:
        result = await history.history(record_id, query.pagination)
        paged.response.headers[COMPLETE_HEADER] = "true" if result.complete else "false"
        return paged.respond(query.pagination, result.page)

    @router.get(
        "/{record_id}/versions/{version}",
        response_model=dict[str, Any],
        dependencies=reading,
        description=f"A {name} as it stood at one version, every stored field (secrets masked).",
    )
    async def version(record_id: Id, version: Id, history: History) -> dict[str, Any]:
        return await history.version(record_id, version)


def _add_writes(router: APIRouter, module: str, name: str, record_history: HistoryOf, read_model: Any) -> None:
    History = Annotated[RecordHistory, Depends(record_history)]

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
