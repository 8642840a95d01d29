import enum
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import httpx
from fastapi import FastAPI

from app.audit.values import json_safe
from app.core.auditable import AuditPolicy
from tests.audit.helpers import change_rows


class Status(enum.Enum):
    DONE = "done"


def test_values_are_json_safe() -> None:
    value = {
        "price": Decimal("19.90"),
        "at": datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))),
        "naive": datetime(2024, 5, 1, 12, 0),
        "day": date(2024, 5, 1),
        "status": Status.DONE,
        "tags": ("a", 1),
    }

    assert json_safe(value) == {
        "price": "19.90",
        "at": "2024-05-01T10:00:00+00:00",
        "naive": "2024-05-01T12:00:00+00:00",
        "day": "2024-05-01",
        "status": "done",
        "tags": ["a", 1],
    }
    assert json_safe(datetime(2024, 1, 1, tzinfo=UTC)) == "2024-01-01T00:00:00+00:00"


def test_credentials_are_secret_by_name_even_when_not_declared() -> None:
    policy = AuditPolicy(frozenset({"pin"}))

    assert [name for name in ("pin", "token_hash", "api_secret", "password", "name") if policy.is_secret(name)] == [
        "pin",
        "token_hash",
        "api_secret",
        "password",
    ]


async def test_a_price_is_audited_as_stored(client: httpx.AsyncClient, app: FastAPI) -> None:
    product = (await client.post("/products", json={"sku": "P-1", "name": "Widget", "price": "19.9"})).json()

    [row] = await change_rows(app, entity_type="products", entity_id=product["id"])

    assert product["price"] == "19.90"
    assert row.new_values is not None
    assert row.new_values["price"] == "19.90"
