from typing import Annotated

from fastapi import Depends

from app.audit.schemas import AccessFilters, AccessLogRead, AuditChangeRead, ChangeFilters
from app.audit.service import AuditService
from app.auth.dependencies import require
from app.core.deps import SessionDep
from app.core.pagination import ListQuery, list_query
from app.core.routing import PrefixedRouter

router = PrefixedRouter(prefix="/audit", tags=["audit"])


async def get_audit_service(session: SessionDep) -> AuditService:
    return AuditService(session)


Service = Annotated[AuditService, Depends(get_audit_service)]
# Newest first unless asked otherwise; `id` breaks ties between rows of the same instant.
SORTABLE, NEWEST_FIRST = ("created_at", "id"), "-created_at,-id"
changes_query = list_query(ChangeFilters, sortable=SORTABLE, default_sort=NEWEST_FIRST)
ChangesQuery = Annotated[ListQuery[ChangeFilters], Depends(changes_query)]
access_query = list_query(AccessFilters, sortable=SORTABLE, default_sort=NEWEST_FIRST)
AccessQuery = Annotated[ListQuery[AccessFilters], Depends(access_query)]


@router.get(
    "/changes",
    response_model=list[AuditChangeRead],
    dependencies=[require("audit", "read")],
    openapi_extra=changes_query.openapi,
)
async def list_changes(service: Service, query: ChangesQuery) -> object:
    """Row changes (INSERT, UPDATE, DELETE) of audited tables, newest first."""
    return query.pagination.respond(await service.list_changes(query.filters, query.pagination, query.sort))


@router.get(
    "/access",
    response_model=list[AccessLogRead],
    dependencies=[require("audit", "read")],
    openapi_extra=access_query.openapi,
)
async def list_access(service: Service, query: AccessQuery) -> object:
    """HTTP requests served (all but /health* and /metrics), newest first."""
    return query.pagination.respond(await service.list_access(query.filters, query.pagination, query.sort))
