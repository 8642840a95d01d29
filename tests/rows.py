"""What the database really holds, read in a fresh session so nothing cached can answer instead."""

from fastapi import FastAPI
from sqlalchemy import func, select

from app.auth.accounts import User


async def stored_user(app: FastAPI, user_id: int) -> User | None:
    async with app.state.session_factory() as session:
        user: User | None = await session.get(User, user_id)
        return user


async def count_users(app: FastAPI) -> int:
    async with app.state.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(User)) or 0)
