"""Products: exact prices, unique SKUs, filters and sorts. The shared contract (401, 403,
404, 412, ETags, pagination) is in tests/modules/test_crud_contract.py."""

from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlmodel import col

from app.modules.products.models import Product
from tests.database import scalar
from tests.factories import create_product


async def test_create_fills_defaults_and_returns_the_price_as_a_string(client: httpx.AsyncClient) -> None:
    response = await client.post("/products", json={"sku": "MUG-1", "name": "Mug", "price": 19.9})

    assert response.status_code == 201
    body = response.json()
    assert body["price"] == "19.90"
    assert {key: body[key] for key in ("sku", "name", "description", "stock", "is_active")} == {
        "sku": "MUG-1",
        "name": "Mug",
        "description": None,
        "stock": 0,
        "is_active": True,
    }


@pytest.mark.parametrize(("given", "returned"), [("0.10", "0.10"), (0.2, "0.20"), ("5", "5.00"), (1e2, "100.00")])
async def test_price_is_accepted_as_number_or_string(client: httpx.AsyncClient, given: Any, returned: str) -> None:
    created = await create_product(client, price=given)

    assert created["price"] == returned
    assert (await client.get(f"/products/{created['id']}")).json()["price"] == returned


async def test_prices_are_stored_and_added_exactly(app: FastAPI, client: httpx.AsyncClient) -> None:
    ten = await create_product(client, price="0.10")
    twenty = await create_product(client, price=0.20)
    thirty = await create_product(client, price=str(Decimal(ten["price"]) + Decimal(twenty["price"])))
    largest = await create_product(client, price="9999999999.99")  # what Numeric(12, 2) holds

    ids = [ten["id"], twenty["id"]]
    stored = await scalar(app, select(col(Product.price)).where(col(Product.id) == ten["id"]))
    total = await scalar(app, select(func.sum(col(Product.price))).where(col(Product.id).in_(ids)))
    at_thirty = await client.get("/products", params={"min_price": "0.3", "max_price": 0.30})

    assert (stored, Decimal(total)) == (Decimal("0.10"), Decimal("0.30"))
    assert thirty["price"] == "0.30"
    assert [p["price"] for p in at_thirty.json()] == ["0.30"]  # no float drift lets 0.10 or 0.20 in
    assert (await client.get(f"/products/{largest['id']}")).json()["price"] == "9999999999.99"


@pytest.mark.parametrize(
    "price", [-1, "-0.01", "1.999", 0.001, "abc", "NaN", "Infinity", "10000000000.00", None, True, [1]]
)
async def test_invalid_price_is_422(client: httpx.AsyncClient, price: Any) -> None:
    response = await client.post("/products", json={"sku": "BAD", "name": "Bad", "price": price})

    assert response.status_code == 422, response.text
    assert response.json()["details"][0]["loc"] == ["body", "price"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "No SKU", "price": "1.00"},
        {"sku": "NO-PRICE", "name": "No price"},
        {"sku": "", "name": "Empty SKU", "price": "1.00"},
        {"sku": "X" * 65, "name": "Long SKU", "price": "1.00"},
        {"sku": "NEG", "name": "Negative stock", "price": "1.00", "stock": -1},
        {"sku": "HUGE", "name": "Huge stock", "price": "1.00", "stock": 2**31},
    ],
)
async def test_invalid_body_is_422(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    assert (await client.post("/products", json=body)).status_code == 422


async def test_duplicate_sku_is_409_on_create_and_update(client: httpx.AsyncClient) -> None:
    first = await create_product(client, sku="DUP-1")
    second = await create_product(client, sku="DUP-2")

    created = await client.post("/products", json={"sku": "DUP-1", "name": "Again", "price": "1.00"})
    patched = await client.patch(f"/products/{second['id']}", json={"sku": "DUP-1"})
    unchanged = await client.patch(f"/products/{first['id']}", json={"sku": "DUP-1", "name": "Same SKU"})

    assert (created.status_code, created.json()["code"]) == (409, "conflict")
    assert created.json()["message"] == "A product with sku DUP-1 already exists"
    assert patched.status_code == 409
    assert patched.json()["message"] == "A product with sku DUP-1 already exists"
    assert unchanged.status_code == 200  # keeping its own SKU is no clash


async def test_put_resets_optional_fields_and_patch_changes_only_given_ones(client: httpx.AsyncClient) -> None:
    product = await create_product(client, description="Blue", stock=5, is_active=False)
    item = f"/products/{product['id']}"

    patched = await client.patch(item, json={"price": "7.5"})
    replaced = await client.put(item, json={"sku": product["sku"], "name": "Renamed", "price": "3"})
    missing_required = await client.put(item, json={"sku": product["sku"], "name": "No price"})
    cleared = await client.patch(item, json={"description": None})
    null_name = await client.patch(item, json={"name": None})

    assert (patched.json()["price"], patched.json()["description"], patched.json()["stock"]) == ("7.50", "Blue", 5)
    assert replaced.json()["name"] == "Renamed"
    assert (replaced.json()["description"], replaced.json()["stock"], replaced.json()["is_active"]) == (None, 0, True)
    assert missing_required.status_code == 422
    assert cleared.status_code == 200
    assert cleared.json()["description"] is None
    assert null_name.status_code == 422


async def test_filters_by_text_price_and_availability(client: httpx.AsyncClient) -> None:
    mug = await create_product(client, sku="MUG-RED", name="Red Mug", price="5.00")
    cup = await create_product(client, sku="CUP-1", name="Tea cup", price="12.50", is_active=False)
    plate = await create_product(client, sku="PLT-MUGGY", name="Plate", price="20.00")

    async def ids(**params: Any) -> list[int]:
        response = await client.get("/products", params={"sort": "id", **params})
        assert response.status_code == 200, response.text
        return [product["id"] for product in response.json()]

    assert await ids(q="mug") == [mug["id"], plate["id"]]  # name or SKU, any case
    assert await ids(q="TEA") == [cup["id"]]
    assert await ids(min_price="12.50") == [cup["id"], plate["id"]]
    assert await ids(max_price=12.5) == [mug["id"], cup["id"]]
    assert await ids(min_price=6, max_price="19.99") == [cup["id"]]
    assert await ids(is_active="false") == [cup["id"]]
    assert await ids(is_active="true", q="mug", max_price=10) == [mug["id"]]
    assert (await client.get("/products", params={"min_price": "-1"})).status_code == 422


async def test_search_takes_percent_and_underscore_literally(client: httpx.AsyncClient) -> None:
    discount = await create_product(client, name="50% off")
    snake = await create_product(client, sku="A_B")
    await create_product(client, name="500 off", sku="AXB")

    percent = await client.get("/products", params={"q": "0%"})
    underscore = await client.get("/products", params={"q": "a_b"})

    assert [p["id"] for p in percent.json()] == [discount["id"]]
    assert [p["id"] for p in underscore.json()] == [snake["id"]]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("price", ["b", "c", "a"]),
        ("-price", ["a", "c", "b"]),
        ("name", ["a", "b", "c"]),
        ("-sku", ["c", "b", "a"]),
        ("-stock,name", ["b", "a", "c"]),
        ("-created_at", ["c", "b", "a"]),
        ("updated_at", ["a", "b", "c"]),
    ],
)
async def test_sorts(client: httpx.AsyncClient, sort: str, expected: list[str]) -> None:
    await create_product(client, sku="S-A", name="a", price="30.00", stock=1)
    await create_product(client, sku="S-B", name="b", price="10.00", stock=5)
    await create_product(client, sku="S-C", name="c", price="20.00", stock=1)

    response = await client.get("/products", params={"sort": sort})

    assert response.status_code == 200, response.text
    assert [product["name"] for product in response.json()] == expected


async def test_negative_zero_price_is_stored_as_zero(client: httpx.AsyncClient) -> None:
    response = await client.post("/products", json={"sku": "Z-0", "name": "Free", "price": "-0"})

    assert response.status_code == 201
    assert response.json()["price"] == "0.00"
