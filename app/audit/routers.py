from typing import Annotated

from fastapi import Depends, Query

from app.audit.schemas import AccessFilters, AccessLogRead, AuditChangeRead, ChangeFilters
from app.audit.service import AuditService
from app.auth.dependencies import require
from app.core.deps import SessionDep
from app.core.pagination import Paged, SortedListQuery, sort_field
from app.core.routing import PrefixedRouter

router = PrefixedRouter(prefix="/audit", tags=["audit"])


async def get_audit_service(session: SessionDep) -> AuditService:
    return AuditService(session)


Service = Annotated[AuditService, Depends(get_audit_service)]


class NewestFirst(SortedListQuery):
    # Newest first unless asked otherwise; `id` breaks ties between rows of the same instant.
    sortable = ("created_at", "id")
    sort: str = sort_field(sortable, default="-created_at,-id")


class ChangeQuery(ChangeFilters, NewestFirst):
    pass


class AccessQuery(AccessFilters, NewestFirst):
    pass


@router.get("/changes", response_model=list[AuditChangeRead], dependencies=[require("audit", "read")])
async def list_changes(service: Service, query: Annotated[ChangeQuery, Query()], paged: Paged) -> object:
    """Row changes (INSERT, UPDATE, DELETE) of audited tables, newest first."""
    return paged.respond(query.pagination, await service.list_changes(query, query.pagination, query.order))


@router.get("/access", response_model=list[AccessLogRead], dependencies=[require("audit", "read")])
async def list_access(service: Service, query: Annotated[AccessQuery, Query()], paged: Paged) -> object:
    """HTTP requests served (all but /health* and /metrics), newest first."""
    return paged.respond(query.pagination, await service.list_access(query, query.pagination, query.order))
