"""Small HTTP helpers shared by every router: ETag out, If-Match and If-None-Match in, Location."""

from typing import Annotated, Protocol, TypeVar

from fastapi import Depends, Header, Request, Response, status

from app.core.errors import PreconditionFailed


class HasVersion(Protocol):
    @property
    def version(self) -> int: ...


ResourceT = TypeVar("ResourceT", bound=HasVersion)


def with_etag(response: Response, resource: HasVersion) -> None:
    response.headers["ETag"] = f'"{resource.version}"'


def etag_matches(if_none_match: str, version: int) -> bool:
    """RFC 9110 weak comparison of an `If-None-Match` list (or `*`) with a resource's ETag."""
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or f'"{version}"' in tags


def current_or_not_modified(resource: ResourceT, response: Response, if_none_match: str | None) -> ResourceT | Response:
    """The resource with its ETag, or an empty 304 when the client already holds this version."""
    if if_none_match is not None and etag_matches(if_none_match, resource.version):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={"ETag": f'"{resource.version}"'})
    with_etag(response, resource)
    return resource


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
IfNoneMatch = Annotated[str | None, Header(max_length=1024)]
