"""GET and HEAD requests read through sessions that refuse to write (no transaction on PostgreSQL)."""

from decimal import Decimal

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text

from app.core.database import transaction
from app.modules.products.models import Product
from tests.backends import Backend


def _product() -> Product:
    return Product(sku="RO-1", name="Read only", price=Decimal("1.00"), stock=1)


async def test_a_read_only_session_refuses_to_write_and_stores_nothing(app: FastAPI) -> None:
    async with app.state.read_session_factory() as session:
        session.add(_product())
        with pytest.raises(RuntimeError, match="read-only"):
            await session.flush()
    async with app.state.read_session_factory() as session:
        with pytest.raises(RuntimeError, match="read-only"):
            async with transaction(session):
                session.add(_product())

    async with app.state.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Product)) == 0


@pytest.mark.usefixtures("committed")  # the app's own sessions, not ones joined to a test's transaction
async def test_on_postgresql_each_read_statement_runs_on_its_own(app: FastAPI, backend: Backend) -> None:
    if backend.name != "postgres":
        pytest.skip("SQLite's driver begins no transaction for a read in either kind of session")
    current = text("select pg_current_xact_id()::text")

    async with app.state.read_session_factory() as session:
        reads = [await session.scalar(current) for _ in range(2)]
    async with app.state.session_factory() as session:
        in_transaction = [await session.scalar(current) for _ in range(2)]

    assert reads[0] != reads[1]
    assert in_transaction[0] == in_transaction[1]
