"""An app with one extra route that acts for a given user, as authentication will."""

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Header

from app.core.context import actor_id_var
from app.core.deps import SessionDep
from app.main import create_app
from app.modules.users.service import UserService

acting_router = APIRouter(prefix="/test-acting")


async def act_as(x_test_actor: Annotated[int, Header()]) -> None:
    actor_id_var.set(x_test_actor)  # what the authentication dependency does for a real caller


@acting_router.patch("/users/{user_id}", dependencies=[Depends(act_as)], status_code=204)
async def rename_user(user_id: int, name: str, session: SessionDep) -> None:
    await UserService(session).update(user_id, {"name": name})


@pytest.fixture
async def acting_app(app: FastAPI) -> AsyncIterator[FastAPI]:
    """A second app on the same database and settings as `app` (so its tables start empty too)."""
    application = create_app(app.state.settings)
    application.include_router(acting_router)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def acting_client(acting_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=acting_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
