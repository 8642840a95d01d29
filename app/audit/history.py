"""A record's history, read from the audit trail: its changes, each version's full state,
and the two writes built on them, revert and restore.

Any `CrudService` gets them: what is read comes from `audit_changes`, and what is written
goes through the service's own `update` and `create`, so a revert or a restore meets the
same rules, permissions, hooks, events and cache invalidation as any other write.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import TypeAdapter

from app.audit.models import AuditChange
from app.audit.repository import AuditChangeRepository
from app.audit.values import json_safe
from app.core.auditable import MASK, policy_for
from app.core.context import change_reason
from app.core.errors import Conflict, NotFound
from app.core.models import continuing_version
from app.core.pagination import Page, Pagination, SortField
from app.core.service import CrudService

# Columns the service keeps itself: never set back by a revert or a restore.
BOOKKEEPING = frozenset({"id", "created_at", "updated_at", "version"})
NEWEST_FIRST = (SortField("id", descending=True),)
RESTORE_REASON = "restore"

Values = dict[str, Any]


@dataclass(frozen=True, slots=True)
class HistoryPage:
    page: Page[Values]
    # False when some of the record's changes were moved to cold storage.
    complete: bool


class RecordHistory:
    """History, versions, revert and restore of the records one `CrudService` manages."""

    def __init__(self, service: CrudService[Any]) -> None:
        self.service = service
        self.model: Any = service.repository.model  # a table class (SQLModel)
        self.entity_type: str = self.model.__tablename__
        self.changes = AuditChangeRepository(service.session)

    async def history(self, id_: int, pagination: Pagination) -> HistoryPage:
        """The record's changes, newest first; 404 for an id with neither a row nor a change."""
        filters = self.changes.of_record(self.entity_type, id_)
        rows = await self.changes.page(filters=filters, sort=NEWEST_FIRST, skip=pagination.skip, limit=pagination.limit)
        first = await self.changes.first_change(self.entity_type, id_)
        if first is None and not await self.service.repository.exists(id_):
            raise self._not_found(id_)
        entries = [history_entry(row) for row in rows.items]
        return HistoryPage(Page(entries, rows.total, rows.exact), complete=first is not None and is_birth(first))

    async def version(self, id_: int, version: int) -> Values:
        """The whole record as it stood at `version` (secrets masked); 404 if no such version is known."""
        snapshots = await self._versions(id_)
        if version not in snapshots:
            raise NotFound(f"{self.service.resource_name} {id_} has no version {version}")
        return snapshots[version]

    async def revert(self, id_: int, version: int, expected_version: int | None) -> Any:
        """Set the writable fields back to `version`'s, as one update through the service."""
        target = await self.version(id_, version)
        current = await self.service.get(id_)
        values = {
            field: value
            for field, value in self._writable(target).items()
            if getattr(current, field) != value  # only what differs: an update of the fields the revert changes
        }
        with change_reason(f"revert:{version}"):
            return await self.service.update(id_, values, expected_version)

    async def restore(self, id_: int) -> Any:
        """Put a deleted record back with its id and its last state (secrets left empty)."""
        if await self.service.repository.exists(id_):
            raise Conflict(f"{self.service.resource_name} {id_} exists; only a deleted one can be restored")
        last = await self._last_change(id_)
        if last is None or last.action != "DELETE" or not last.old_values:
            raise NotFound(f"{self.service.resource_name} {id_} has no deleted state to restore")
        state = last.old_values
        values = {"id": id_, **self._writable(state)}
        if state.get("created_at") is not None:
            values["created_at"] = self._typed("created_at", state["created_at"])
        deleted_version = version_of(last) or 0
        with change_reason(RESTORE_REASON), continuing_version(deleted_version + 1):
            return await self.service.create(values)

    async def _versions(self, id_: int) -> dict[int, Values]:
        rows = await self.changes.record_changes(self.entity_type, id_)
        live = await self.service.repository.read(id_)
        if not rows and live is None:
            raise self._not_found(id_)
        return versions_of(rows, self._masked(dict(live._mapping)) if live is not None else None)

    async def _last_change(self, id_: int) -> AuditChange | None:
        filters = self.changes.of_record(self.entity_type, id_)
        found = await self.changes.list(filters=filters, sort=NEWEST_FIRST, limit=1)
        return found[0] if found else None

    def _writable(self, state: Mapping[str, Any]) -> Values:
        """The stored values a write may set, as the model's Python types; secrets never."""
        policy = policy_for(self.model)
        return {
            field: self._typed(field, value)
            for field, value in state.items()
            if field in self.model.model_fields
            and field not in BOOKKEEPING
            and not (policy is not None and policy.is_secret(field))
        }

    def _typed(self, field: str, value: Any) -> Any:
        """A value as the audit trail stored it (JSON) back as the column's type ("19.99" -> Decimal)."""
        return _adapter(self.model, field).validate_python(value)

    def _masked(self, values: Mapping[str, Any]) -> Values:
        policy = policy_for(self.model)
        return {
            key: MASK if value is not None and policy is not None and policy.is_secret(key) else json_safe(value)
            for key, value in values.items()
        }

    def _not_found(self, id_: int) -> NotFound:
        return NotFound(f"{self.service.resource_name} {id_} not found")


@cache
def _adapter(model: Any, field: str) -> TypeAdapter[Any]:
    return TypeAdapter(model.model_fields[field].annotation)


def version_of(row: AuditChange) -> int | None:
    """The version a change produced (INSERT, UPDATE) or removed (DELETE)."""
    values = row.old_values if row.action == "DELETE" else row.new_values
    version = (values or {}).get("version")
    return version if isinstance(version, int) else None


def is_birth(row: AuditChange) -> bool:
    """The record's first change: its INSERT at version 1 (a restore's INSERT continues a later version)."""
    return row.action == "INSERT" and version_of(row) == 1


def history_entry(row: AuditChange) -> Values:
    old, new = row.old_values or {}, row.new_values or {}
    fields = sorted({*old, *new})  # an UPDATE's rows also carry what the write set itself: version, updated_at
    return {
        "version": version_of(row),
        "action": row.action,
        "at": row.created_at,
        "actor_id": row.actor_id,
        "request_id": row.request_id,
        "reason": row.reason,
        "changes": {field: {"old": old.get(field), "new": new.get(field)} for field in fields},
    }


def versions_of(rows: Sequence[AuditChange], live: Values | None) -> dict[int, Values]:
    """Each known version's whole record, walking back from the newest state known.

    The newest state is the live row, or a DELETE's old values; going back, an UPDATE's old
    values undo it, and an INSERT holds the whole record. A version whose change was moved
    to cold storage is not known, unless a later DELETE recorded it.
    """
    snapshots: dict[int, Values] = {}
    state = live
    for row in reversed(rows):
        version = version_of(row)
        if row.action == "DELETE":
            state = dict(row.old_values or {})
        elif row.action == "INSERT":
            state = dict(row.new_values or {})
        if state is not None and version is not None:
            snapshots[version] = state
        if row.action == "UPDATE" and state is not None:
            state = {**state, **(row.old_values or {})}
        elif row.action == "INSERT":
            state = None
    return snapshots
