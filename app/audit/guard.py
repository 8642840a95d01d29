"""Refuse writes to audited tables that would not pass through the capture hooks.

The ORM's unit of work (session.add / attribute changes / session.delete, then flush) is
the only way to write an audited table. Bulk statements - `update()`, `delete()`,
`insert()` run through a Session or a Connection - skip the flush events, so they would
change data without a trail; they fail here instead, loudly, the first time they run.

Alembic migrations are exempt (they are schema work, reviewed as code): their connection
carries the execution option `audit_exempt`. Raw SQL text is not inspected.
"""

from typing import Any

from sqlalchemy import Delete, Insert, Update, event, inspect
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import ORMExecuteState, Session

from app.core.auditable import audited_class_for_table

EXEMPT_OPTION = "audit_exempt"


class AuditBypassError(RuntimeError):
    """A statement would have written an audited table around the audit trail."""


def install() -> None:
    """Guard every Session and every Engine of the process (idempotent)."""
    if not event.contains(Session, "do_orm_execute", _refuse_session_bulk_write):
        event.listen(Session, "do_orm_execute", _refuse_session_bulk_write)
    if not event.contains(Engine, "before_execute", _refuse_connection_write):
        event.listen(Engine, "before_execute", _refuse_connection_write)


def _refuse_session_bulk_write(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        _refuse_if_audited(state.statement, via="Session.execute()")


def _refuse_connection_write(
    _conn: Connection, statement: Any, _multiparams: Any, _params: Any, execution_options: dict[str, Any]
) -> None:
    if not isinstance(statement, Insert | Update | Delete) or execution_options.get(EXEMPT_OPTION):
        return
    audited = audited_class_for_table(getattr(statement.table, "name", ""))
    # The unit of work runs its own statements with the mapper's compiled-statement cache;
    # nothing else in SQLAlchemy passes that object, so it identifies the flush.
    if (
        audited is not None
        and execution_options.get("compiled_cache") is not inspect(audited).base_mapper._compiled_cache
    ):
        _refuse_if_audited(statement, via="Connection.execute()")


def _refuse_if_audited(statement: Any, via: str) -> None:
    table = getattr(getattr(statement, "table", None), "name", None)
    if table is not None and audited_class_for_table(table) is not None:
        verb = type(statement).__name__.upper()
        raise AuditBypassError(
            f"{verb} on audited table '{table}' through {via} would bypass the audit trail; "
            "load the objects and change them through the ORM (repository) instead"
        )
