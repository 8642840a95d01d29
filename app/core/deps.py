"""One `Annotated` alias per cross-cutting dependency."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


READ_ONLY_METHODS = frozenset({"GET", "HEAD"})


@asynccontextmanager
async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for this request: read-only for GET and HEAD. Services commit inside their
    own calls (app.core.database.transaction); this only closes it."""
    state = request.app.state
    factory = state.read_session_factory if request.method in READ_ONLY_METHODS else state.session_factory
    session = factory()
    try:
        yield session
    finally:
        # A session holds a connection only inside a transaction: one that never began one
        # (a request refused before its query) has nothing to give back.
        if session.in_transaction():
            await session.close()


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request_session(request) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
# Closed as soon as the route function returns, before the response is serialized and sent:
# its pooled connection goes back for the next request instead of waiting out the send
# (with more requests in flight than connections, that wait starved some requests for a second).
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
