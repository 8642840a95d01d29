"""The scope model: one declaration gives a module's rows an owner; the check reads it."""

from dataclasses import dataclass

import pytest

from app.core.errors import Forbidden
from app.core.ownership import OwnedBy, ensure_owner_scope, holds, owner_column
from app.core.service import CrudService
from app.modules.products.models import Product
from app.modules.products.repository import ProductRepository


@dataclass(frozen=True)
class Caller:
    id: int
    permissions: frozenset[str]
    is_superuser: bool = False


def test_a_service_declaring_an_owner_registers_its_module() -> None:
    class GadgetService(CrudService[Product]):
        repository_class = ProductRepository
        owned_by = OwnedBy("gadgets-under-test", "maker_id")

    assert owner_column("gadgets-under-test") == "maker_id"
    assert owner_column("products") is None


def test_an_unscoped_permission_covers_its_own() -> None:
    held = frozenset({"posts:update", "tasks:update:own"})

    assert holds(held, "posts:update:own")
    assert holds(held, "tasks:update:own")
    assert not holds(held, "tasks:update")
    assert not holds(held, "posts:delete:own")


@pytest.mark.parametrize(
    ("permissions", "owners", "allowed"),
    [
        ({"posts:update"}, [2, 3], True),
        ({"posts:update:own"}, [1], True),
        ({"posts:update:own"}, [], True),
        ({"posts:update:own"}, [1, 2], False),
        ({"posts:update:own"}, [None], False),
        ({"posts:delete:own"}, [1], False),
        (set(), [1], False),
    ],
)
def test_the_scope_check(permissions: set[str], owners: list[int | None], allowed: bool) -> None:
    caller = Caller(1, frozenset(permissions))

    if allowed:
        ensure_owner_scope(caller, "posts", "update", owners)
    else:
        with pytest.raises(Forbidden, match="missing posts:update"):
            ensure_owner_scope(caller, "posts", "update", owners)


def test_a_superuser_passes_the_scope_check() -> None:
    ensure_owner_scope(Caller(1, frozenset(), is_superuser=True), "posts", "delete", [2])
