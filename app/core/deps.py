"""One `Annotated` alias per cross-cutting dependency."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.database import SessionFactory

READ_ONLY_METHODS = frozenset({"GET", "HEAD"})


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session: read-only for GET and HEAD.

    Services commit inside their own calls (app.core.database.transaction); leaving this
    block only closes the session, which rolls back whatever was left uncommitted.
    """
    state = request.app.state
    factory: SessionFactory = (
        state.read_session_factory if request.method in READ_ONLY_METHODS else state.session_factory
    )
    # Not `async with factory()`: AsyncSession's exit closes the session in a shielded task
    # of its own, one more task per request for what this `finally` does on the request's own.
    session = factory()
    try:
        yield session
    finally:
        await session.close()


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
# scope="function": closed when the route has returned, before the response is sent, so its
# pooled connection goes back for the next request instead of waiting out the send (with
# more requests in flight than connections, that wait starved some requests for a second).
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
