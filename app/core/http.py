"""Small HTTP helpers shared by every router: ETag out, If-Match in, Location."""

from typing import Annotated, Protocol

from fastapi import Depends, Header, Request, Response

from app.core.errors import PreconditionFailed


class HasVersion(Protocol):
    @property
    def version(self) -> int: ...


def with_etag(response: Response, resource: HasVersion) -> None:
    response.headers["ETag"] = f'"{resource.version}"'


def location(request: Request, route_name: str, **path_params: object) -> str:
    """The path of the route `route_name` (API_PREFIX and root path included), for `Location`."""
    return request.url_for(route_name, **path_params).path


async def parse_if_match(if_match: Annotated[str | None, Header(max_length=128)] = None) -> int | None:
    """The version the client expects, or None when it did not ask (or sent `*`)."""
    if if_match is None or if_match.strip() == "*":
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not (tag.isascii() and tag.isdecimal()):  # "²".isdigit() is True, int("²") fails
        raise PreconditionFailed('If-Match must be an ETag returned by this API, such as "3"')
    return int(tag)


IfMatch = Annotated[int | None, Depends(parse_if_match)]
