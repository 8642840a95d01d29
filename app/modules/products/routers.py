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
from app.modules.products.models import Product
from app.modules.products.schemas import ProductCreate, ProductFilters, ProductRead, ProductReplace, ProductUpdate
from app.modules.products.service import ProductService

router = PrefixedRouter(prefix="/products", tags=["products"])
WRITE_ERRORS = error_responses(409)  # besides those every write can give: the sku is taken

ListCache = Annotated[CachedList, Depends(cached_list(Product))]
Service = Annotated[ProductService, Depends(service_for(ProductService))]


class ProductQuery(ProductFilters, SortedListQuery):
    sortable = ("id", "sku", "name", "price", "stock", "created_at", "updated_at")
    sort: str = sort_field(sortable)


@router.get("", response_model=list[ProductRead])
async def list_products(
    query: Annotated[ProductQuery, Query()],
    principal: Annotated[Principal, require("products", "read")],
    cache: ListCache,
) -> object:
    """List products, filtered by text, price range and availability."""
    return await cache.respond(
        query, lambda session: ProductService(session, principal).search(query.pagination, query.order, query)
    )


@router.post(
    "",
    response_model=ProductRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[require("products", "create")],
    responses=WRITE_ERRORS,
)
async def create_product(body: ProductCreate, service: Service, response: Response, request: Request) -> Product:
    """Create a product."""
    product = await service.create(body.model_dump())
    response.headers["Location"] = location(request, product.id)
    with_etag(response, product)
    return product


@router.get("/{product_id}", response_model=ProductRead, dependencies=[require("products", "read")])
async def get_product(
    product_id: Id, service: Service, response: Response, if_none_match: IfNoneMatch = None
) -> Row[Any] | Response:
    """Get one product (304 when `If-None-Match` holds its current ETag)."""
    return current_or_not_modified(await service.read(product_id), response, if_none_match)


@router.put(
    "/{product_id}", response_model=ProductRead, dependencies=[require("products", "update")], responses=WRITE_ERRORS
)
async def replace_product(
    product_id: Id, body: ProductReplace, service: Service, if_match: IfMatch, response: Response
) -> Product:
    """Replace a product's writable fields; optional ones left out go back to their defaults."""
    product = await service.update(product_id, body.model_dump(), if_match)
    with_etag(response, product)
    return product


@router.patch(
    "/{product_id}", response_model=ProductRead, dependencies=[require("products", "update")], responses=WRITE_ERRORS
)
async def update_product(
    product_id: Id, body: ProductUpdate, service: Service, if_match: IfMatch, response: Response
) -> Product:
    """Change the given fields of a product."""
    product = await service.update(product_id, body.changes(), if_match)
    with_etag(response, product)
    return product


@router.delete(
    "/{product_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,  # no body, so no content-type
    dependencies=[require("products", "delete")],
)
async def delete_product(product_id: Id, service: Service, if_match: IfMatch) -> None:
    """Delete a product."""
    await service.delete(product_id, if_match)
