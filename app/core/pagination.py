"""Pagination (skip/limit or page/per_page), sorting and the headers every list returns."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError, create_model

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


class NoFilters(BaseModel):
    """The filters of a list that takes none."""


FiltersT = TypeVar("FiltersT", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class ListQuery(Generic[FiltersT]):
    """What a list request asks for: a window, an order and the route's filters."""

    pagination: Pagination
    sort: list[SortField]
    filters: FiltersT


_WINDOW_FIELDS: dict[str, Any] = {
    "skip": (int | None, Field(default=None, ge=0, le=MAX_OFFSET, description="Rows to skip")),
    "limit": (int | None, Field(default=None, ge=1, le=MAX_LIMIT, description="Rows to return")),
    "page": (int | None, Field(default=None, ge=1, le=MAX_PAGE, description="Page number, from 1")),
    "per_page": (int | None, Field(default=None, ge=1, le=MAX_LIMIT, description="Rows per page")),
}


class ListQueryParser(Generic[FiltersT]):
    """A list route's dependency: its whole query string (window, sort, filters) validated in
    one pass of a single model, then split into a `ListQuery`.

    FastAPI would extract and validate each query parameter on its own, inspecting its
    annotation on every request: for a list's nine parameters that was a third of what a
    cached list costs. Declared this way, the parameters are not in the route's signature,
    so the route documents them with `openapi_extra=parser.openapi`. Errors keep FastAPI's
    shape (a 422 with `loc: ["query", name]`).
    """

    def __init__(self, filters: type[FiltersT], sortable: Sequence[str], default_sort: str) -> None:
        fields = dict(_WINDOW_FIELDS)
        if sortable:
            description = f"Comma-separated, '-' for descending: {', '.join(sortable)}"
            fields["sort"] = (str | None, Field(default=None, max_length=200, description=description))
        # A subclass of the filters model, so the filters' own validators run too.
        self.model = create_model(f"{filters.__name__}Query", __base__=filters, **fields)
        self.filters = filters
        self.filter_names = tuple(filters.model_fields)
        self.sortable = tuple(sortable)
        self.default_sort = default_sort
        # The window and sort first, as on a URL, then the filters.
        parameters = sorted(_query_parameters(self.model), key=lambda parameter: parameter["name"] not in fields)
        self.openapi: dict[str, Any] = {"parameters": parameters}

    async def __call__(self, request: Request, response: Response) -> ListQuery[FiltersT]:
        try:
            params = self.model.model_validate(request.query_params)
        except ValidationError as exc:
            errors = [{**error, "loc": ("query", *error["loc"])} for error in exc.errors(include_url=False)]
            raise RequestValidationError(errors) from None
        values = vars(params)
        pagination = _window(request, response, values["skip"], values["limit"], values["page"], values["per_page"])
        sort = self._sort(values.get("sort")) if self.sortable else []
        # Validated already: the filters are built from their values without a second pass.
        names = self.filter_names
        filters = self.filters.model_construct(
            params.model_fields_set.intersection(names), **{name: values[name] for name in names}
        )
        return ListQuery(pagination, sort, filters)

    def _sort(self, sort: str | None) -> list[SortField]:
        """`sort=name,-created_at` against the route's whitelist of fields."""
        fields = []
        for raw in (self.default_sort if sort is None else sort).split(","):
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


def list_query(
    filters: type[FiltersT], *, sortable: Sequence[str] = (), default_sort: str = "id"
) -> ListQueryParser[FiltersT]:
    """The dependency parsing a list's query: skip/limit or page/per_page, `sort` over the
    `sortable` fields (none: no `sort` parameter), and the fields of `filters` (`NoFilters`)."""
    return ListQueryParser(filters, sortable, default_sort)


def _window(
    request: Request, response: Response, skip: int | None, limit: int | None, page: int | None, per_page: int | None
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


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """OpenAPI's description of a model's fields as optional query parameters, as FastAPI writes them."""
    schema = model.model_json_schema()
    definitions = schema.get("$defs", {})
    parameters = []
    for name, field_schema in schema["properties"].items():
        field_schema = _inlined(field_schema, definitions)
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in schema.get("required", ())}
        if "description" in field_schema:
            parameter["description"] = field_schema["description"]
        parameters.append({**parameter, "schema": field_schema})
    return parameters


def _inlined(schema: Any, definitions: dict[str, Any]) -> Any:
    """`schema` with its `$ref`s to the model's own definitions (enums) replaced by what they name."""
    if isinstance(schema, list):
        return [_inlined(item, definitions) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        return _inlined(definitions[schema["$ref"].rsplit("/", 1)[-1]], definitions)
    return {key: _inlined(value, definitions) for key, value in schema.items()}
