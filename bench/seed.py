"""Fast bulk seeding for the benchmark: products in batches through Core INSERTs.

Rows are complete (timestamps, version 1, unique skus), so the API treats them like any
other product. A data load is exempt from the audit guard, as migrations are: it runs with
the `audit_exempt` execution option and writes no per-row audit entries.

The audit trail is seeded apart (`seed_audit_changes`): the lowest product's own history
(an INSERT and nine UPDATEs, what `GET /products/{id}/history` reads), and filler rows of
other records, so the table's size can grow while the history read stays the same.
"""

import asyncio
import itertools
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select

from app.audit.guard import EXEMPT_OPTION
from app.audit.models import AuditChange
from app.core.config import Settings
from app.core.database import create_engine
from app.core.models import utcnow
from app.modules.products.models import Product

BATCH = 5_000


async def seed_products(settings: Settings, count: int) -> None:
    engine = create_engine(settings)
    table = Product.__table__  # type: ignore[attr-defined]  # SQLModel tables expose __table__ at runtime
    now = utcnow()
    try:
        for start in range(0, count, BATCH):
            rows = [
                {
                    "sku": f"SKU-{number:08d}",
                    "name": f"Product {number}",
                    "description": "Seeded for the benchmark",
                    "price": Decimal(number % 10_000) / 100,
                    "stock": number % 500,
                    "is_active": number % 7 != 0,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
                for number in itertools.islice(itertools.count(start), min(BATCH, count - start))
            ]
            async with engine.begin() as connection:
                await connection.execution_options(**{EXEMPT_OPTION: True})
                await connection.execute(insert(table), rows)
    finally:
        await engine.dispose()


# The history the benchmark reads: one product's INSERT and its updates.
HISTORY_LENGTH = 10
_FILLER_TYPES = ("products", "users", "tasks", "customers", "posts")


async def seed_audit_changes(settings: Settings, count: int) -> None:
    """`count` audit rows: the lowest product's history, then rows of other records.

    Every row has every column: an executemany takes its columns from the first row.
    """
    engine = create_engine(settings)
    table = AuditChange.__table__  # type: ignore[attr-defined]  # SQLModel tables expose __table__ at runtime
    try:
        async with engine.connect() as connection:
            product_id = int(await connection.scalar(select(func.min(Product.__table__.c.id))) or 1)  # type: ignore[attr-defined]  # as above
        history = _history_rows(product_id)
        filler = count - len(history)
        batches = itertools.chain(
            [history],
            (
                [_filler_row(number, product_id) for number in range(start, min(start + BATCH, filler))]
                for start in range(0, filler, BATCH)
            ),
        )
        for rows in batches:
            async with engine.begin() as connection:
                await connection.execution_options(**{EXEMPT_OPTION: True})
                await connection.execute(insert(table), rows)
    finally:
        await engine.dispose()


def _history_rows(product_id: int) -> list[dict[str, Any]]:
    now = utcnow().isoformat()
    created = {"id": product_id, "sku": "SKU-00000000", "name": "Product 0", "price": "0.00", "version": 1}
    rows = [
        {"entity_type": "products", "entity_id": product_id, "action": "INSERT", "old_values": None,
         "new_values": created, "changed_fields": None}
    ]  # fmt: skip
    for version in range(2, HISTORY_LENGTH + 1):
        old = {"stock": version - 1, "version": version - 1, "updated_at": now}
        new = {"stock": version, "version": version, "updated_at": now}
        rows.append(
            {"entity_type": "products", "entity_id": product_id, "action": "UPDATE", "old_values": old,
             "new_values": new, "changed_fields": ["stock"]}
        )  # fmt: skip
    return [{**row, "actor_id": None, "request_id": "bench-seed", "created_at": utcnow()} for row in rows]


def _filler_row(number: int, product_id: int) -> dict[str, Any]:
    entity_id = product_id + 1 + number // len(_FILLER_TYPES)  # never the product whose history is read
    values = {"id": entity_id, "name": f"Record {number}", "version": 1}
    return {
        "entity_type": _FILLER_TYPES[number % len(_FILLER_TYPES)],
        "entity_id": entity_id,
        "action": "INSERT",
        "old_values": None,
        "new_values": values,
        "changed_fields": None,
        "actor_id": None,
        "request_id": "bench-seed",
        "created_at": utcnow(),
    }


def run(settings: Settings, count: int, audit_rows: int = 0) -> None:
    asyncio.run(seed_products(settings, count))
    if audit_rows:
        asyncio.run(seed_audit_changes(settings, audit_rows))
