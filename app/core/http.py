"""Small HTTP helpers shared by every router: ETag out, If-Match in, Location."""

from typing import Annotated, Protocol

from fastapi import Depends, Header, Request, Response

from app.core.errors import PreconditionFailed


class HasVersion(Protocol):
    @property
    def version(self) -> int: ...


def with_etag(response: Response, resource: HasVersion) -> None:
    response.headers["ETag"] = f'"{resource.version}"'


def location(request: Request, resource_id: int | None) -> str:
    """`Location` of a resource created by a POST to its collection: the collection's path and the id.

    Taken from the request's own path (API_PREFIX and root path included), not by looking the
    route up by name: that walks every route of the app, a twentieth of a create's time.
    """
    if resource_id is None:
        raise ValueError("the resource has no id yet: it must be flushed before its Location is built")
    return f"{request.url.path.rstrip('/')}/{resource_id}"


async def parse_if_match(if_match: Annotated[str | None, Header(max_length=128)] = None) -> int | None:
    """The version the client expects, or None when it did not ask (or sent `*`)."""
    if if_match is None or if_match.strip() == "*":
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not (tag.isascii() and tag.isdecimal()):  # "²".isdigit() is True, int("²") fails
        raise PreconditionFailed('If-Match must be an ETag returned by this API, such as "3"')
    return int(tag)


IfMatch = Annotated[int | None, Depends(parse_if_match)]
