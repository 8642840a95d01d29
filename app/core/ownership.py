"""Ownership scopes: a role may grant a write on rows with an owner to their owner only.

A module whose rows have an owner declares it once, in app/modules/registry.py
(`OwnedBy("posts", "user_id")`), and its service holds writes to it (`owned_by`);
a role may then grant `create:own`, `update:own` and `delete:own` on that module,
and every write through the service is checked here (`ensure_owner_scope`), so a write
path added later cannot skip the rule. An unscoped action implies its `:own`; reading is
never scoped.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Final, Protocol

from app.core.errors import Forbidden

OWN: Final = "own"
SCOPED_ACTIONS: Final = ("create", "update", "delete")


@dataclass(frozen=True, slots=True)
class OwnedBy:
    module: str  # the permission module the rows belong to
    column: str  # the column holding the owner's user id


class Holder(Protocol):
    """Whoever holds permissions: the authenticated caller."""

    @property
    def id(self) -> int | None: ...

    @property
    def is_superuser(self) -> bool: ...

    @property
    def permissions(self) -> frozenset[str]: ...


def scoped(permission: str) -> str:
    return f"{permission}:{OWN}"


def holds(permissions: Collection[str], permission: str) -> bool:
    """Whether `permissions` grant `permission`; an unscoped action covers its `:own`."""
    if permission in permissions:
        return True
    unscoped = permission.removesuffix(f":{OWN}")
    return unscoped != permission and unscoped in permissions


def ensure_owner_scope(holder: Holder, module: str, action: str, owners: Iterable[int | None]) -> None:
    """The scope check: 403 unless `holder` may `action` on `module` rows owned by each of `owners`.

    `owners` are the row's owner before the write (update, delete) and the owner the write
    sets, when it sets one (create, update); a write leaving the row without an owner adds
    nothing. `module:action` allows any owner; `module:action:own` only the holder itself.
    """
    if holder.is_superuser:
        return
    unscoped = f"{module}:{action}"
    if unscoped in holder.permissions:
        return
    if scoped(unscoped) not in holder.permissions:
        raise Forbidden(f"missing {unscoped}")
    if any(owner != holder.id for owner in owners):
        raise Forbidden(f"missing {unscoped}: {scoped(unscoped)} covers only rows the caller owns")
