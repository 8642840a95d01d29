"""One `Annotated` alias per cross-cutting dependency."""

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Scope

from app.core.config import Settings


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


READ_ONLY_METHODS = frozenset({"GET", "HEAD"})
_SESSION = "session"


async def get_session(request: Request) -> AsyncSession:
    """The request's session, opened on first use: read-only for GET and HEAD.

    Services commit inside their own calls (app.core.database.transaction); the session is
    only closed, by `close_request_session` as the response starts: after the route
    returned, before a byte is sent. Not a `yield` dependency: FastAPI's exit machinery
    for one (an exit stack, a shielded cancel scope) was a twentieth of a GET by id.
    """
    state = request.scope["state"]
    session: AsyncSession | None = state.get(_SESSION)
    if session is None:
        app_state = request.app.state
        read_only = request.method in READ_ONLY_METHODS
        session = state[_SESSION] = (app_state.read_session_factory if read_only else app_state.session_factory)()
    return session


async def close_request_session(scope: Scope) -> None:
    """Close the session `get_session` opened for this request, if any (once: later calls find none)."""
    session: AsyncSession | None = scope.get("state", {}).pop(_SESSION, None)
    if session is not None and session.in_transaction():  # one that never began a transaction holds no connection
        await session.close()


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
# Closed before the response is sent: its pooled connection goes back for the next request
# instead of waiting out the send (with more requests in flight than connections, that wait
# starved some requests for a second).
SessionDep = Annotated[AsyncSession, Depends(get_session)]
