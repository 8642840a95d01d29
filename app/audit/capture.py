"""Change data capture: an `audit_changes` row for every ORM INSERT, UPDATE and DELETE of an
audited table, written by the same flush, so it commits or rolls back with the change.

Old values come from the attribute history the ORM keeps until the flush ends. When an
attribute was changed without its old value loaded (an expired instance), `before_flush`
reads the committed value from the database first: the row is not yet updated then.
"""

from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import and_, event, insert, inspect, select
from sqlalchemy.orm import InstanceState, Mapper, Session, UOWTransaction

from app.audit.business_log import BusinessEvent, publish_business_events
from app.audit.models import AuditChange
from app.audit.values import json_safe
from app.core.auditable import MASK, AuditPolicy, policy_for
from app.core.context import current_actor_id, current_api_key_id, current_change_reason, current_request_id
from app.core.models import utcnow

# Built once: a statement memoizes its cache key, and the rows are bound at execution.
_INSERT_CHANGES = insert(AuditChange)
_COMMITTED_VALUES = "audit.committed_values"
_PENDING_EVENTS = "audit.pending_events"

Values = dict[str, Any]


def install() -> None:
    """Listen on every Session of the process (idempotent)."""
    for name, listener in (
        ("before_flush", _load_unknown_old_values),
        ("after_flush", _record_changes),
        ("after_commit", _publish_committed_events),
        ("after_soft_rollback", _drop_pending_events),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def _load_unknown_old_values(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    committed: dict[InstanceState[Any], Values] = {}
    for objects, missing_keys in ((session.dirty, _unknown_before_update), (session.deleted, _unloaded_columns)):
        for obj in objects:
            if policy_for(type(obj)) is None:
                continue
            state: InstanceState[Any] = inspect(obj)
            keys = missing_keys(state)
            # The flush overwrites the bookkeeping columns in place (version counter, onupdate): keep them.
            loaded = {key: state.dict[key] for key in _bookkeeping_keys(state.mapper) if key in state.dict}
            committed[state] = {**loaded, **(_select_committed(session, state, keys) if keys else {})}
    session.info[_COMMITTED_VALUES] = committed


def _record_changes(session: Session, _flush: UOWTransaction) -> None:
    committed: dict[InstanceState[Any], Values] = session.info.pop(_COMMITTED_VALUES, {})
    rows: list[Values] = []
    events: list[BusinessEvent] = []
    for action, objects in (("INSERT", session.new), ("UPDATE", session.dirty), ("DELETE", session.deleted)):
        for obj in objects:
            policy = policy_for(type(obj))
            if policy is None:
                continue
            state: InstanceState[Any] = inspect(obj)
            row = _change_row(action, state, policy, committed.get(state, {}))
            if row is not None:
                rows.append(row)
                events.append(BusinessEvent(action, type(obj).__name__, row["entity_id"], row["changed_fields"] or []))
    if rows:
        session.connection().execute(_INSERT_CHANGES, rows)
        session.info.setdefault(_PENDING_EVENTS, []).extend(events)


def _publish_committed_events(session: Session) -> None:
    events: list[BusinessEvent] = session.info.pop(_PENDING_EVENTS, [])
    if events:
        publish_business_events(events)


def _drop_pending_events(session: Session, _previous_transaction: object) -> None:
    # Never announce a change that did not commit.
    session.info.pop(_PENDING_EVENTS, None)


def _change_row(action: str, state: InstanceState[Any], policy: AuditPolicy, committed: Values) -> Values | None:
    old: Values | None = None
    new: Values | None = None
    changed: list[str] | None = None
    if action == "INSERT":
        new = _masked(policy, _current_values(state))
    elif action == "DELETE":
        old = _masked(policy, {**_current_values(state), **committed})
    else:
        old_raw, new_raw = _changed_values(state, committed)
        if not new_raw:
            return None  # touched, but nothing column-valued changed: no UPDATE was issued
        changed = sorted(new_raw)
        for key in _bookkeeping_keys(state.mapper):
            # Set by the flush itself, not by the caller: recorded beside the change, not in changed_fields.
            if key not in new_raw and key in state.dict:
                old_raw[key], new_raw[key] = committed.get(key), state.dict[key]
        old, new = _masked(policy, old_raw), _masked(policy, new_raw)
    return {
        "entity_type": state.mapper.local_table.name,  # type: ignore[attr-defined]  # a mapped class's table is a Table
        "entity_id": _entity_id(state),
        "action": action,
        "old_values": old,
        "new_values": new,
        "changed_fields": changed,
        "actor_id": current_actor_id(),
        "api_key_id": current_api_key_id(),
        "request_id": current_request_id(),
        "created_at": utcnow(),
        "reason": current_change_reason(),
    }


@cache
def _bookkeeping_keys(mapper: Mapper[Any]) -> tuple[str, ...]:
    """Columns every UPDATE sets on its own: the version counter and `onupdate` columns (updated_at)."""
    columns: list[Any] = [column for column in mapper.columns if column.onupdate is not None]
    if mapper.version_id_col is not None:
        columns.append(mapper.version_id_col)
    return tuple(mapper.get_property_by_column(column).key for column in columns)


def _column_keys(state: InstanceState[Any]) -> list[str]:
    return [attr.key for attr in state.mapper.column_attrs]


def _current_values(state: InstanceState[Any]) -> Values:
    return {key: state.dict[key] for key in _column_keys(state) if key in state.dict}


def _changed_values(state: InstanceState[Any], committed: Values) -> tuple[Values, Values]:
    old: Values = {}
    new: Values = {}
    for key in _column_keys(state):
        history = state.attrs[key].history
        if not history.added:
            continue
        old[key] = committed[key] if key in committed else (history.deleted[0] if history.deleted else None)
        new[key] = history.added[0]
    return old, new


def _unknown_before_update(state: InstanceState[Any]) -> list[str]:
    """Columns whose value before this flush is not in memory: changed ones without their old
    value (an expired instance), and bookkeeping ones not loaded."""
    histories = ((key, state.attrs[key].history) for key in _column_keys(state))
    changed = [key for key, history in histories if history.added and not history.deleted]
    return changed + [key for key in _bookkeeping_keys(state.mapper) if key not in state.dict and key not in changed]


def _unloaded_columns(state: InstanceState[Any]) -> list[str]:
    return [key for key in _column_keys(state) if key in state.unloaded]


def _select_committed(session: Session, state: InstanceState[Any], keys: Iterable[str]) -> Values:
    mapper = state.mapper
    keys = list(keys)
    columns = [mapper.column_attrs[key].columns[0] for key in keys]
    identity = state.identity or ()
    match = and_(*(column == value for column, value in zip(mapper.primary_key, identity, strict=True)))
    row = session.connection().execute(select(*columns).where(match)).one()
    return dict(zip(keys, row, strict=True))


def _masked(policy: AuditPolicy, values: Values) -> Values:
    return {
        key: MASK if value is not None and policy.is_secret(key) else json_safe(value) for key, value in values.items()
    }


def _entity_id(state: InstanceState[Any]) -> int | None:
    # Read from the instance: a row inserted by this flush has its id, but no identity key yet.
    # Composite keys have no single id; their key columns are in the values instead.
    mapper = state.mapper
    key = [state.dict.get(mapper.get_property_by_column(column).key) for column in mapper.primary_key]
    return key[0] if len(key) == 1 and isinstance(key[0], int) else None
