"""Pagination (skip/limit or page/per_page), sorting and the headers every list returns."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar

from fastapi import Depends, Request, Response
from pydantic import BaseModel, Field, PrivateAttr, model_validator

from app.core.errors import ValidationFailed

ItemT = TypeVar("ItemT")
MAX_LIMIT = 100
# Far past any real list, and well inside the 64-bit OFFSET the databases take: a larger
# skip (or page) is a 422 here rather than an overflow (500) in the driver.
MAX_OFFSET = 1_000_000_000
MAX_PAGE = MAX_OFFSET // MAX_LIMIT + 1
# A list's total is counted exactly up to this many rows (or to the end of the requested
# window, if further). Past it the count stops: its cost stays bounded however large the
# table grows, and the total is reported as a lower bound (docs/PERFORMANCE.md).
EXACT_COUNT_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class Page(Generic[ItemT]):
    items: Sequence[ItemT]
    total: int
    # False when the count stopped early: there are more than `total` rows.
    exact: bool = True


def whole_result(items: Sequence[ItemT], skip: int, limit: int) -> Page[ItemT] | None:
    """The page when the window holds the whole result, so no COUNT is needed; else None."""
    return Page(items, len(items)) if skip == 0 and len(items) < limit else None


def count_bound(skip: int, limit: int) -> int:
    """How many rows a list's count may stop at: enough to know whether a next page exists."""
    return max(EXACT_COUNT_LIMIT, skip + limit)


def bounded_page(items: Sequence[ItemT], counted: int, bound: int) -> Page[ItemT]:
    """The page for a count that looked at no more than `bound + 1` rows."""
    return Page(items, counted) if counted <= bound else Page(items, bound + 1, exact=False)


@dataclass(frozen=True, slots=True)
class SortField:
    name: str
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Pagination:
    """The window a list asks for: `limit` rows after the first `skip`, asked for by page or not."""

    skip: int = 0
    limit: int = 10
    page_style: bool = False


class ListQuery(BaseModel):
    """A list's query string: its window, as skip/limit or as page/per_page (not both).

    A list route declares `Annotated[XQuery, Query()]` with a subclass adding the module's
    filters (and `sort`: `SortedListQuery`); FastAPI validates the whole query string with it.
    Unknown parameters are ignored.
    """

    skip: int = Field(default=0, ge=0, le=MAX_OFFSET, description="Rows to skip")
    limit: int = Field(default=10, ge=1, le=MAX_LIMIT, description="Rows to return")
    page: int = Field(default=1, ge=1, le=MAX_PAGE, description="Page number, from 1")
    per_page: int = Field(default=10, ge=1, le=MAX_LIMIT, description="Rows per page")

    _pagination: Pagination = PrivateAttr(default_factory=Pagination)
    _order: list[SortField] = PrivateAttr(default_factory=list)

    # Once every field is valid. ValidationFailed is not a ValueError, so pydantic lets it
    # through: the client gets its message ("Cannot sort by 'x'"), not a generic one.
    @model_validator(mode="after")
    def _window_and_order(self) -> Self:
        self._pagination = self._window()
        self._order = self._sort_fields()
        return self

    @property
    def pagination(self) -> Pagination:
        return self._pagination

    @property
    def order(self) -> list[SortField]:
        """The `sort` asked for (or the default), checked against the route's fields."""
        return self._order

    def _window(self) -> Pagination:
        given = self.model_fields_set
        by_page = "page" in given or "per_page" in given
        if by_page and ("skip" in given or "limit" in given):
            raise ValidationFailed(
                "Use either skip/limit or page/per_page, not both",
                details=[
                    {"loc": ["query", "page"], "msg": "cannot be combined with skip/limit", "type": "value_error"}
                ],
            )
        if by_page:
            return Pagination((self.page - 1) * self.per_page, self.per_page, page_style=True)
        return Pagination(self.skip, self.limit)

    def _sort_fields(self) -> list[SortField]:
        return []


def sort_field(sortable: Sequence[str], default: str = "id") -> Any:
    """The `sort` parameter of a `SortedListQuery` subclass, documented with its `sortable` names."""
    description = f"Comma-separated, '-' for descending: {', '.join(sortable)}"
    return Field(default=default, max_length=200, description=description)


class SortedListQuery(ListQuery):
    """A list's query string with `sort=name,-created_at` over the names in `sortable`.

    A subclass names them and documents them:
    `sortable = ("id", "name")` then `sort: str = sort_field(sortable)` (sorted by `id` unless
    `sort_field` names another default).
    """

    sortable: ClassVar[tuple[str, ...]] = ("id",)
    sort: str = Field(default="id", max_length=200)

    def _sort_fields(self) -> list[SortField]:
        fields = []
        for raw in self.sort.split(","):
            token = raw.strip()
            name = token.removeprefix("-")
            if name not in self.sortable:
                raise ValidationFailed(
                    f"Cannot sort by '{name}'",
                    details=[
                        {"loc": ["query", "sort"], "msg": f"allowed: {', '.join(self.sortable)}", "type": "value_error"}
                    ],
                )
            fields.append(SortField(name, token.startswith("-")))
        return fields


class PageHeaders:
    """A list response's `X-Total-Count` (`X-Total-Count-Exact: false` for a lower bound) and `Link`."""

    def __init__(self, request: Request, response: Response) -> None:
        self.request = request
        self.response = response

    def respond(self, pagination: Pagination, page: Page[ItemT]) -> Sequence[ItemT]:
        """The page's items, its headers set on the response."""
        headers = self.response.headers
        headers["X-Total-Count"] = str(page.total)
        if not page.exact:
            headers["X-Total-Count-Exact"] = "false"
        skip, limit = pagination.skip, pagination.limit
        links = []
        if skip + limit < page.total:
            links.append(f'<{self._url(pagination, skip + limit)}>; rel="next"')
        if skip > 0:
            links.append(f'<{self._url(pagination, max(skip - limit, 0))}>; rel="prev"')
        if links:
            headers["Link"] = ", ".join(links)
        return page.items

    def _url(self, pagination: Pagination, skip: int) -> str:
        url = self.request.url.remove_query_params(["skip", "limit", "page", "per_page"])
        if pagination.page_style:
            return str(url.include_query_params(page=skip // pagination.limit + 1, per_page=pagination.limit))
        return str(url.include_query_params(skip=skip, limit=pagination.limit))


async def page_headers(request: Request, response: Response) -> PageHeaders:
    return PageHeaders(request, response)


Paged = Annotated[PageHeaders, Depends(page_headers)]
