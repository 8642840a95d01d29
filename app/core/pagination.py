"""Pagination (skip/limit or page/per_page), sorting and the headers every list returns."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Query, Request, Response

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


class Pagination:
    """The window a list asks for, and the `X-Total-Count`/`Link` headers that describe it."""

    def __init__(self, request: Request, response: Response, skip: int, limit: int, page_style: bool) -> None:
        self.request = request
        self.response = response
        self.skip = skip
        self.limit = limit
        self.page_style = page_style

    def respond(self, page: Page[ItemT]) -> Sequence[ItemT]:
        self.response.headers["X-Total-Count"] = str(page.total)
        if not page.exact:
            self.response.headers["X-Total-Count-Exact"] = "false"
        links = []
        if self.skip + self.limit < page.total:
            links.append(f'<{self._url(self.skip + self.limit)}>; rel="next"')
        if self.skip > 0:
            links.append(f'<{self._url(max(self.skip - self.limit, 0))}>; rel="prev"')
        if links:
            self.response.headers["Link"] = ", ".join(links)
        return page.items

    def _url(self, skip: int) -> str:
        url = self.request.url.remove_query_params(["skip", "limit", "page", "per_page"])
        if self.page_style:
            return str(url.include_query_params(page=skip // self.limit + 1, per_page=self.limit))
        return str(url.include_query_params(skip=skip, limit=self.limit))


async def get_pagination(
    request: Request,
    response: Response,
    skip: Annotated[int | None, Query(ge=0, le=MAX_OFFSET, description="Rows to skip")] = None,
    limit: Annotated[int | None, Query(ge=1, le=MAX_LIMIT, description="Rows to return")] = None,
    page: Annotated[int | None, Query(ge=1, le=MAX_PAGE, description="Page number, from 1")] = None,
    per_page: Annotated[int | None, Query(ge=1, le=MAX_LIMIT, description="Rows per page")] = None,
) -> Pagination:
    if (page is not None or per_page is not None) and (skip is not None or limit is not None):
        raise ValidationFailed(
            "Use either skip/limit or page/per_page, not both",
            details=[{"loc": ["query", "page"], "msg": "cannot be combined with skip/limit", "type": "value_error"}],
        )
    if page is not None or per_page is not None:
        size = per_page or 10
        return Pagination(request, response, ((page or 1) - 1) * size, size, page_style=True)
    return Pagination(request, response, skip or 0, limit or 10, page_style=False)


def sort_by(*allowed: str, default: str = "id") -> Callable[..., Awaitable[list[SortField]]]:
    """A dependency parsing `sort=name,-created_at` against a whitelist of fields."""

    async def parse_sort(
        sort: Annotated[
            str | None, Query(max_length=200, description=f"Comma-separated, '-' for descending: {', '.join(allowed)}")
        ] = None,
    ) -> list[SortField]:
        fields = []
        for raw in (default if sort is None else sort).split(","):
            token = raw.strip()
            name = token.removeprefix("-")
            if name not in allowed:
                raise ValidationFailed(
                    f"Cannot sort by '{name}'",
                    details=[
                        {"loc": ["query", "sort"], "msg": f"allowed: {', '.join(allowed)}", "type": "value_error"}
                    ],
                )
            fields.append(SortField(name, token.startswith("-")))
        return fields

    return parse_sort
