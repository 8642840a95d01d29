"""`python -m app audit ...`: cold storage for the audit tables."""

import asyncio
import enum
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import typer

from app.audit import install_audit_hooks
from app.audit.archive.archiver import DEFAULT_BATCH_SIZE, REPOSITORIES, archive
from app.audit.archive.files import ArchiveError
from app.audit.archive.restore import restore
from app.audit.archive.verify import verify_archive
from app.core.config import get_settings
from app.core.database import SessionFactory, create_engine, create_session_factory

ResultT = TypeVar("ResultT")

audit_cli = typer.Typer(help="Audit trail cold storage: archive, verify, restore.", no_args_is_help=True)


class Kind(enum.StrEnum):
    changes = "changes"
    access = "access"
    all = "all"


def _directory(dest: Path | None) -> Path:
    return dest or Path(get_settings().AUDIT_ARCHIVE_DIR)


def _run(work: Callable[[SessionFactory], Awaitable[ResultT]]) -> ResultT:
    async def with_database() -> ResultT:
        install_audit_hooks()  # its sessions write only the audit tables, but no session goes unguarded
        engine = create_engine(get_settings())
        try:
            return await work(create_session_factory(engine))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(with_database())
    except ArchiveError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


@audit_cli.command("archive")
def archive_command(
    older_than_days: int = typer.Option(..., min=0, help="Archive rows created more than N days ago"),
    kind: Kind = typer.Option(Kind.all, help="Which table: changes, access, or all"),
    dest: Path | None = typer.Option(None, help="Archive directory (default: the AUDIT_ARCHIVE_DIR setting)"),
    batch_size: int = typer.Option(DEFAULT_BATCH_SIZE, min=1, help="Rows read and deleted per batch"),
) -> None:
    """Move old rows to gzip JSON Lines files with a hash-chained manifest, then delete them."""
    kinds = list(REPOSITORIES) if kind is Kind.all else [kind.value]
    directory = _directory(dest)
    results = _run(lambda factory: archive(factory, directory, kinds, older_than_days, batch_size))
    for result in results:
        typer.echo(f"{result.kind}: archived {result.count} rows to {directory / result.file}")
    if not results:
        typer.echo(f"nothing older than {older_than_days} days to archive")


@audit_cli.command("verify")
def verify_command(
    dest: Path | None = typer.Option(None, help="Archive directory (default: the AUDIT_ARCHIVE_DIR setting)"),
) -> None:
    """Check every archive file against its manifest, and the chain of manifests."""
    report = verify_archive(_directory(dest))
    for problem in report.problems:
        typer.echo(f"FAIL {problem}", err=True)
    if report.problems:
        raise typer.Exit(1)
    typer.echo(f"OK: {report.files} files, {report.rows} rows, chain intact")


@audit_cli.command("restore")
def restore_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A .jsonl.gz file from the archive"),
    batch_size: int = typer.Option(DEFAULT_BATCH_SIZE, min=1, help="Rows inserted per batch"),
) -> None:
    """Put an archived file's rows back into the database, skipping ids already present."""
    result = _run(lambda factory: restore(factory, file, batch_size))
    typer.echo(f"restored {result.restored} rows, skipped {result.skipped} already present")
