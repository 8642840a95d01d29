"""Caching a list route's response: the body and its X-Total-Count/Link headers, `X-Cache: HIT|MISS`.

A route opts in with one dependency and one call:

    UsersCache = Annotated[CachedList[UserService], Depends(cached_list(User, service_for(UserService)))]

    async def list_users(query: UsersQuery, cache: UsersCache) -> object:
        return await cache.respond(query, lambda service: service.list(query.pagination, query.sort))

Lists are the same for every caller allowed to see them, so the key is the query alone,
taken after the route's permission dependencies have passed. The service, and the
request's session under it, are only built on a miss: a hit never opens a session.
"""

import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from functools import lru_cache
from typing import Any, Generic, TypeVar

from fastapi import Request, Response
from pydantic import TypeAdapter
from sqlmodel import SQLModel

from app.core.cache import ListCache
from app.core.generations import watch
from app.core.pagination import ListQuery, Page

ServiceT = TypeVar("ServiceT")
CACHED_HEADERS = ("X-Total-Count", "X-Total-Count-Exact", "Link")
_WINDOW_PARAMS = frozenset({"skip", "limit", "page", "per_page", "sort"})
_SET_HERE = frozenset({"content-length", "content-type", "x-cache", *(name.lower() for name in CACHED_HEADERS)})


# Builds the route's service on the request's session (`service_for(XService)`).
ServiceBuilder = Callable[[Request], Awaitable[ServiceT]]


class CachedList(Generic[ServiceT]):
    def __init__(
        self,
        cache: ListCache,
        request: Request,
        response: Response,
        namespaces: Sequence[str],
        build_service: ServiceBuilder[ServiceT],
    ) -> None:
        self.cache = cache
        self.request = request
        self.response = response
        self.namespaces = namespaces
        self.build_service = build_service

    async def respond(self, query: ListQuery[Any], load: Callable[[ServiceT], Awaitable[Page[Any]]]) -> Response:
        """The cached response for this query, or the page `load(service)` returns, serialized and stored."""
        lookup = await self.cache.lookup(self.namespaces, self.query_digest(query))
        if lookup is not None and lookup.value is not None:
            headers, body = _decode(lookup.value)
            return self._response(headers, body, "HIT")
        page = await load(await self.build_service(self.request))
        pagination = query.pagination
        items = pagination.respond(page)
        adapter = _adapter(self._response_model())
        body = adapter.dump_json(adapter.validate_python(items, from_attributes=True), by_alias=True)
        headers = {
            name: pagination.response.headers[name] for name in CACHED_HEADERS if name in pagination.response.headers
        }
        if lookup is not None:
            await self.cache.store(lookup.key, _encode(headers, body))
        return self._response(headers, body, "MISS")

    def query_digest(self, query: ListQuery[Any]) -> str:
        """The normalized query: window and sort as parsed, other parameters sorted.

        What the Link header's absolute URLs are made of is part of it (scheme, the Host
        header or else the server's address, root path, path): a client that sends its own
        Host must not plant its links in everyone's responses, while processes behind one
        load balancer share entries. Taken from the scope as Starlette's URL takes them:
        building `request.url` for it cost a twentieth of a cache hit.
        """
        scope = self.request.scope
        filters = sorted(
            (name, value) for name, value in self.request.query_params.multi_items() if name not in _WINDOW_PARAMS
        )
        parts = [
            [scope["scheme"], self.request.headers.get("host") or scope.get("server"), scope.get("root_path", "")],
            scope["path"],
            [query.pagination.skip, query.pagination.limit, query.pagination.page_style],
            [[field.name, field.descending] for field in query.sort],
            filters,
        ]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()

    def _response(self, headers: dict[str, str], body: bytes, cache_status: str) -> Response:
        response = Response(body, media_type="application/json", headers={**headers, "X-Cache": cache_status})
        # Keep what other dependencies set on the route's response (a returned Response replaces it).
        response.headers.raw.extend(
            (name, value) for name, value in self.response.headers.raw if name.decode().lower() not in _SET_HERE
        )
        return response

    def _response_model(self) -> Any:
        model = getattr(self.request.scope.get("route"), "response_model", None)
        if model is None:
            raise TypeError(f"{self.request.url.path}: a cached list route needs a response_model")
        return model


def cached_list(
    model: type[SQLModel], build_service: ServiceBuilder[ServiceT]
) -> Callable[[Request, Response], Awaitable[CachedList[ServiceT]]]:
    """A dependency: the list cache of a route whose results come from `model`'s table,
    loaded on a miss by the service `build_service` makes. A committed write to that table
    invalidates the route's entries.

    The route takes neither a session nor a service of its own: as dependencies, FastAPI
    would build and close them on every request (a tenth of what a hit costs), though a hit
    uses neither.
    """
    table: str = model.__table__.name  # type: ignore[attr-defined]  # SQLModel declares __table__ untyped
    namespaces = (table,)
    watch(table, [table])  # the namespace is the table itself: a write to it is what invalidates

    async def dependency(request: Request, response: Response) -> CachedList[ServiceT]:
        return CachedList(request.app.state.list_cache, request, response, namespaces, build_service)

    return dependency


@lru_cache(maxsize=256)
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


def _encode(headers: dict[str, str], body: bytes) -> bytes:
    return json.dumps(headers).encode() + b"\n" + body


def _decode(value: bytes) -> tuple[dict[str, str], bytes]:
    header_line, _, body = value.partition(b"\n")
    headers: dict[str, str] = json.loads(header_line)
    return headers, body
