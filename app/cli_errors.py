"""The CLI's operational failures as one line on stderr and exit 1; the traceback only with `--debug`.

An operator who points the service at a database that is down, or runs `seed` before
`db upgrade`, needs to read what to do, not hundreds of lines of driver internals.
"""

import sys
from collections.abc import Callable

from pydantic import ValidationError
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from app.core.consumer import BrokerUnavailable
from app.core.database import database_unavailable
from app.core.errors import AppError

MIGRATE_FIRST = "the database has no tables yet: run `python -m app db upgrade` first"
# SQLSTATE 42P01 (PostgreSQL) and SQLite's message for a table that does not exist.
_MISSING_TABLE = ("42P01", "no such table")


class Options:
    debug = False  # set by `python -m app --debug`


def describe(exc: BaseException) -> str | None:
    """One line an operator can act on, for a failure outside the code; None for a bug."""
    if isinstance(exc, AppError):  # refused by the service's own rules: a duplicate email
        return exc.message
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(map(str, error['loc']))}: {error['msg']}"
            for error in exc.errors(include_input=False, include_url=False)
        )
    if isinstance(exc, BrokerUnavailable):
        return str(exc)
    if isinstance(exc, DBAPIError) and _missing_table(exc):
        return MIGRATE_FIRST
    if database_unavailable(exc):
        return f"cannot use the database (DATABASE_URL): {_first_line(exc)}"
    if isinstance(exc, NoSuchModuleError | ArgumentError):
        # The URL itself is left out: it may carry a password.
        return "DATABASE_URL is not a database URL this service can use (e.g. postgresql+asyncpg://user@host/db)"
    return None


def run(main: Callable[[], object]) -> None:
    try:
        main()
    except Exception as exc:
        message = describe(exc)
        if message is None or Options.debug:
            raise
        print(f"Error: {message}", file=sys.stderr)
        sys.exit(1)


def _missing_table(exc: DBAPIError) -> bool:
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
    return sqlstate == _MISSING_TABLE[0] or _MISSING_TABLE[1] in str(exc.orig)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0][:300]
