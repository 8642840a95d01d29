"""Which tables are audited, and which of their columns are secrets.

A table opts in where it is declared:

    @auditable(secrets={"hashed_password"})
    class User(VersionedTable, table=True): ...

Columns whose names say they hold a credential (app.core.secrets) are masked even when a
table forgets to list them: a missed secret must not reach the trail.

The declaration lives in core, beside the table base, so that any package's tables can opt
in without importing app.audit; app.audit's hooks read it (`app.audit.install_audit_hooks`).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Table

from app.core.secrets import is_secret_field

TableT = TypeVar("TableT", bound=type[Any])

MASK = "***"


@dataclass(frozen=True, slots=True)
class AuditPolicy:
    secrets: frozenset[str]

    def is_secret(self, column: str) -> bool:
        return column in self.secrets or is_secret_field(column)


_policies: dict[type[Any], AuditPolicy] = {}
_classes_by_table: dict[str, type[Any]] = {}


def auditable(*, secrets: Iterable[str] = ()) -> Callable[[TableT], TableT]:
    """Record every INSERT, UPDATE and DELETE of this table in `audit_changes`."""
    policy = AuditPolicy(frozenset(secrets))

    def mark(cls: TableT) -> TableT:
        table = getattr(cls, "__table__", None)
        if not isinstance(table, Table):
            raise TypeError(f"@auditable needs a mapped table class; {cls.__name__} has no __table__")
        _policies[cls] = policy
        _classes_by_table[table.name] = cls
        return cls

    return mark


def policy_for(cls: type[Any]) -> AuditPolicy | None:
    return _policies.get(cls)


def audited_classes() -> list[type[Any]]:
    return list(_policies)


def audited_class_for_table(name: str) -> type[Any] | None:
    return _classes_by_table.get(name)
