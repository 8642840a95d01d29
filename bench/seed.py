"""Fast bulk seeding for the benchmark: products in batches through Core INSERTs.

Rows are complete (timestamps, version 1, unique skus), so the API treats them like any
other product. A data load is exempt from the audit guard, as migrations are: it runs with
the `audit_exempt` execution option and writes no per-row audit entries.
"""

import asyncio
import itertools
from decimal import Decimal

from sqlalchemy import insert

from app.audit.guard import EXEMPT_OPTION
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


def run(settings: Settings, count: int) -> None:
    asyncio.run(seed_products(settings, count))
