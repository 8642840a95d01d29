"""Reading the database behind the API, to check what a request really stored."""

from typing import Any

from fastapi import FastAPI
from sqlalchemy.sql import Executable


async def scalar(app: FastAPI, statement: Executable) -> Any:
    # A fresh session per read: a session kept open would go on seeing its first snapshot.
    async with app.state.session_factory() as session:
        return await session.scalar(statement)


async def rows(app: FastAPI, statement: Executable) -> list[Any]:
    async with app.state.session_factory() as session:
        return list((await session.execute(statement)).all())
