"""Refuse writes to audited tables that would not pass through the capture hooks.

The ORM's unit of work (session.add / attribute changes / session.delete, then flush) is
the only way to write an audited table. Bulk statements - `update()`, `delete()`,
`insert()` run through a Session or a Connection - skip the flush events, so they would
change data without a trail; they fail here instead, loudly, the first time they run.

Alembic migrations are exempt (they are schema work, reviewed as code): their connection
carries the execution option `audit_exempt`. Raw SQL text is not inspected.
"""

from contextvars import ContextVar
from typing import Any

from sqlalchemy import Delete, Insert, Update, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapper, ORMExecuteState, Session

from app.core.auditable import audited_class_for_table

EXEMPT_OPTION = "audit_exempt"

# True while a flush writes rows: from the unit of work's first row event (before_insert,
# before_update, before_delete; each comes right before its row's statement) to the flush's
# end, success (after_flush) or failure (the rollback it then does). A statement on an
# audited table inside that window is the flush's own, which the capture hooks record.
# A flush runs synchronously within its task, so another task never sees this task's flag.
_flush_writing: ContextVar[bool] = ContextVar("audit_flush_writing", default=False)
_ROW_EVENTS = ("before_insert", "before_update", "before_delete")


class AuditBypassError(RuntimeError):
    """A statement would have written an audited table around the audit trail."""


def install() -> None:
    """Guard every Session and every Engine of the process (idempotent)."""
    listeners: list[tuple[Any, str, Any]] = [
        *((Mapper, name, _flush_writes) for name in _ROW_EVENTS),
        (Session, "after_flush", _flush_ended),
        (Session, "after_soft_rollback", _flush_ended),
        (Session, "do_orm_execute", _refuse_session_bulk_write),
        (Engine, "before_execute", _refuse_connection_write),
    ]
    for target, name, listener in listeners:
        if not event.contains(target, name, listener):
            event.listen(target, name, listener)


def _flush_writes(_mapper: Mapper[Any], _connection: Connection, _target: object) -> None:
    _flush_writing.set(True)


def _flush_ended(_session: Session, *_args: object) -> None:
    _flush_writing.set(False)


def _refuse_session_bulk_write(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        _refuse_if_audited(state.statement, via="Session.execute()")


def _refuse_connection_write(
    _conn: Connection, statement: Any, _multiparams: Any, _params: Any, execution_options: dict[str, Any]
) -> None:
    if not isinstance(statement, Insert | Update | Delete) or execution_options.get(EXEMPT_OPTION):
        return
    if not _flush_writing.get():
        _refuse_if_audited(statement, via="Connection.execute()")


def _refuse_if_audited(statement: Any, via: str) -> None:
    table = getattr(getattr(statement, "table", None), "name", None)
    if table is not None and audited_class_for_table(table) is not None:
        verb = type(statement).__name__.upper()
        raise AuditBypassError(
            f"{verb} on audited table '{table}' through {via} would bypass the audit trail; "
            "load the objects and change them through the ORM (repository) instead"
        )
