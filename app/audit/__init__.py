"""The audit trail: change data capture, access log, audit API and cold storage.

Importing this package changes nothing: `install_audit_hooks()` puts the capture hooks and
the bypass guard on every Session and Engine of the process. Every entry point that can
write an audited table calls it before it opens a session: `create_app` (the API),
`standalone_sessions` (the CLI and the seeds), alembic/env.py (migrations) and the tests.
Tables opt in with `@auditable` from `app.core.auditable`.
"""

from app.audit import capture, guard


def install_audit_hooks() -> None:
    """Record every ORM write of an audited table and refuse bulk ones (idempotent)."""
    capture.install()
    guard.install()
