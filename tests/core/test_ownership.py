"""The scope model: one declaration gives a module's rows an owner; the catalogue and the check read it."""

from dataclasses import dataclass

import pytest

from app.auth.rbac.catalogue import scopes
from app.core.errors import Forbidden
from app.core.ownership import ensure_owner_scope, holds
from app.modules.posts.service import PostService
from app.modules.products.service import ProductService
from app.modules.registry import OWNED_BY
from app.modules.tasks.service import TaskService


@dataclass(frozen=True)
class Caller:
    id: int
    permissions: frozenset[str]
    is_superuser: bool = False


def test_the_registry_declares_the_owners_the_services_hold_writes_to() -> None:
    assert {module: owned.column for module, owned in OWNED_BY.items()} == {"posts": "user_id", "tasks": "assignee_id"}
    assert (PostService.owned_by, TaskService.owned_by, ProductService.owned_by) == (
        OWNED_BY["posts"],
        OWNED_BY["tasks"],
        None,
    )
    assert (scopes("posts"), scopes("tasks"), scopes("products")) == (["own"], ["own"], [])


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
