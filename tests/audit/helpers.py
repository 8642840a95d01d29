"""Reading the audit tables straight from the database, as the tests' source of truth."""

from typing import Any

from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from app.audit.models import AccessLog, AuditChange


async def change_rows(app: FastAPI, **equal: Any) -> list[AuditChange]:
    statement = select(AuditChange).filter_by(**equal).order_by(col(AuditChange.id))
    async with app.state.session_factory() as session:
        return list((await session.scalars(statement)).all())


async def access_rows(app: FastAPI, **equal: Any) -> list[AccessLog]:
    await app.state.access_log.flush()
    statement = select(AccessLog).filter_by(**equal).order_by(col(AccessLog.id))
    async with app.state.session_factory() as session:
        return list((await session.scalars(statement)).all())
