from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.audit.schemas import AccessFilters, AccessLogRead, AuditChangeRead, ChangeFilters
from app.audit.service import AuditService
from app.auth.dependencies import require
from app.core.deps import PaginationDep, SessionDep
from app.core.pagination import SortField, sort_by

router = APIRouter(prefix="/audit", tags=["audit"])


async def get_audit_service(session: SessionDep) -> AuditService:
    return AuditService(session)


Service = Annotated[AuditService, Depends(get_audit_service)]
# Newest first unless asked otherwise; `id` breaks ties between rows of the same instant.
Sort = Annotated[list[SortField], Depends(sort_by("created_at", "id", default="-created_at,-id"))]


@router.get("/changes", response_model=list[AuditChangeRead], dependencies=[require("audit", "read")])
async def list_changes(
    service: Service, pagination: PaginationDep, sort: Sort, query: Annotated[ChangeFilters, Query()]
) -> object:
    """Row changes (INSERT, UPDATE, DELETE) of audited tables, newest first."""
    return pagination.respond(await service.list_changes(query, pagination, sort))


@router.get("/access", response_model=list[AccessLogRead], dependencies=[require("audit", "read")])
async def list_access(
    service: Service, pagination: PaginationDep, sort: Sort, query: Annotated[AccessFilters, Query()]
) -> object:
    """HTTP requests served (all but /health* and /metrics), newest first."""
    return pagination.respond(await service.list_access(query, pagination, sort))
