from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response, status
from sqlalchemy import Row

from app.auth.dependencies import Principal, require, service_for
from app.core.http import IfMatch, IfNoneMatch, current_or_not_modified, location, with_etag
from app.core.list_cache import CachedList, cached_list
from app.core.openapi import error_responses
from app.core.pagination import SortedListQuery, sort_field
from app.core.routing import PrefixedRouter
from app.core.schemas import Id
from app.modules.customers.models import Customer
from app.modules.customers.schemas import CustomerCreate, CustomerFilters, CustomerRead, CustomerReplace, CustomerUpdate
from app.modules.customers.service import CustomerService

router = PrefixedRouter(prefix="/customers", tags=["customers"])
WRITE_ERRORS = error_responses(409)  # besides those every write can give: the email is taken

ListCache = Annotated[CachedList, Depends(cached_list(Customer))]
Service = Annotated[CustomerService, Depends(service_for(CustomerService))]


class CustomerQuery(CustomerFilters, SortedListQuery):
    sortable = ("id", "name", "email", "company", "created_at", "updated_at")
    sort: str = sort_field(sortable)


@router.get("", response_model=list[CustomerRead])
async def list_customers(
    query: Annotated[CustomerQuery, Query()],
    principal: Annotated[Principal, require("customers", "read")],
    cache: ListCache,
) -> object:
    """List customers, filtered by text and company."""
    return await cache.respond(
        query, lambda session: CustomerService(session, principal).search(query.pagination, query.order, query)
    )


@router.post(
    "",
    response_model=CustomerRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[require("customers", "create")],
    responses=WRITE_ERRORS,
)
async def create_customer(body: CustomerCreate, service: Service, response: Response, request: Request) -> Customer:
    """Create a customer."""
    customer = await service.create(body.model_dump())
    response.headers["Location"] = location(request, customer.id)
    with_etag(response, customer)
    return customer


@router.get("/{customer_id}", response_model=CustomerRead, dependencies=[require("customers", "read")])
async def get_customer(
    customer_id: Id, service: Service, response: Response, if_none_match: IfNoneMatch = None
) -> Row[Any] | Response:
    """Get one customer (304 when `If-None-Match` holds its current ETag)."""
    return current_or_not_modified(await service.read(customer_id), response, if_none_match)


@router.put(
    "/{customer_id}", response_model=CustomerRead, dependencies=[require("customers", "update")], responses=WRITE_ERRORS
)
async def replace_customer(
    customer_id: Id, body: CustomerReplace, service: Service, if_match: IfMatch, response: Response
) -> Customer:
    """Replace a customer's writable fields; optional ones left out go back to their defaults."""
    customer = await service.update(customer_id, body.model_dump(), if_match)
    with_etag(response, customer)
    return customer


@router.patch(
    "/{customer_id}", response_model=CustomerRead, dependencies=[require("customers", "update")], responses=WRITE_ERRORS
)
async def update_customer(
    customer_id: Id, body: CustomerUpdate, service: Service, if_match: IfMatch, response: Response
) -> Customer:
    """Change the given fields of a customer."""
    customer = await service.update(customer_id, body.changes(), if_match)
    with_etag(response, customer)
    return customer


@router.delete(
    "/{customer_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,  # no body, so no content-type
    dependencies=[require("customers", "delete")],
)
async def delete_customer(customer_id: Id, service: Service, if_match: IfMatch) -> None:
    """Delete a customer; its tasks stay, without a customer."""
    await service.delete(customer_id, if_match)
