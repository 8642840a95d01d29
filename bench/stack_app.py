"""The stack's floor: FastAPI and SQLModel on SQLAlchemy async, doing a route's database work and nothing else.

`make bench` drives it beside the service, on the same database. The bare floor
(bench/floor_app.py) leaves out the database; this leaves out only the service, so a run
also shows what the chosen stack itself allows on the host.

- `GET /products/{id}`: one Core `SELECT` by primary key in an autocommit session, the row
  validated into the response model: the service's read path.
- `POST /products`: the product inserted through the ORM, then an audit row and an outbox
  row by Core inserts, in one transaction: what SPEC sections 8 and 9 ask of a create.

None of the service's own work is done: no token, permission, middleware, audit capture by
the ORM's hooks, cache invalidation, relay, ETag or Location. Nothing is imported from `app`
but its process tuning (`app.audit` would install its hooks on every Session).
"""

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    bindparam,
    event,
    insert,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import declared_attr
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Field, SQLModel

from app.core.runtime import tune_garbage_collector


def utcnow() -> datetime:
    return datetime.now(UTC)


class Product(SQLModel, table=True):
    __tablename__ = "products"

    id: int | None = Field(default=None, primary_key=True)
    sku: str
    name: str
    description: str | None = None
    price: Decimal = Field(sa_type=Numeric(12, 2))
    stock: int = 0
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    version: int = 1

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]  # mapped by now


# The other two tables are written by Core only: the columns a create fills.
_core = MetaData()
AUDIT = Table(
    "audit_changes",
    _core,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("entity_type", String),
    Column("entity_id", BigInteger),
    Column("action", String),
    Column("new_values", JSON),
    Column("created_at", DateTime(timezone=True)),
)
OUTBOX = Table(
    "outbox_events",
    _core,
    Column("id", Integer, primary_key=True),
    Column("event_id", String),
    Column("type", String),
    Column("occurred_at", DateTime(timezone=True)),
    Column("data", JSON),
)
PRODUCTS: Table = Product.__table__  # type: ignore[attr-defined]  # a table=True model has its Table
# Built once, as the service builds its statements: a statement memoizes its cache key.
BY_ID = select(PRODUCTS).where(PRODUCTS.c.id == bindparam("id"))
INSERT_AUDIT, INSERT_EVENT = insert(AUDIT), insert(OUTBOX)


class ProductIn(BaseModel):
    sku: str
    name: str
    description: str | None = None
    price: Decimal
    stock: int = 0
    is_active: bool = True


class ProductOut(ProductIn):
    id: int
    created_at: datetime
    updated_at: datetime
    version: int


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # As the service sets them (app.core.database): SQLite forgets them per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


url = make_url(os.environ["DATABASE_URL"])
if url.drivername.startswith("sqlite"):
    engine = create_async_engine(url, connect_args={"timeout": 30})
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    read_bind = engine
else:
    engine = create_async_engine(url, pool_size=int(os.environ.get("DATABASE_POOL_SIZE", "20")), max_overflow=0)
    read_bind = engine.execution_options(isolation_level="AUTOCOMMIT")
write_session = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
read_session = async_sessionmaker(read_bind, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    tune_garbage_collector()
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)


@app.get("/")  # what bench.servers waits for
async def up() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/products/{product_id}", response_model=ProductOut)
async def get_product(product_id: int) -> Any:
    async with read_session() as session:
        row = (await session.execute(BY_ID, {"id": product_id})).one_or_none()
    if row is None:
        raise HTTPException(404)
    return row


@app.post("/products", response_model=ProductOut, status_code=201)
async def create_product(body: ProductIn) -> Any:
    async with write_session() as session, session.begin():
        product = Product(**body.model_dump())
        session.add(product)
        await session.flush()
        now = utcnow()
        await session.execute(
            INSERT_AUDIT,
            {
                "entity_type": "products",
                "entity_id": product.id,
                "action": "INSERT",
                "new_values": body.model_dump(mode="json"),
                "created_at": now,
            },
        )
        await session.execute(
            INSERT_EVENT,
            {"event_id": str(uuid.uuid4()), "type": "product.created", "occurred_at": now, "data": {"id": product.id}},
        )
    return product
