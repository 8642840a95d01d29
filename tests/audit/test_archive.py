"""`audit archive`: old rows move to hash-chained files, and a crash loses or duplicates nothing."""

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col
from typer.testing import CliRunner

from app.audit.archive import files
from app.audit.archive.archiver import archive
from app.audit.models import AccessLog, AuditChange
from app.audit.repository import AccessLogRepository, AuditChangeRepository
from app.cli import cli
from app.core.database import transaction
from app.core.models import utcnow
from tests.commands import run_script
from tests.forkserver import run_forked

PROJECT_ROOT = Path(__file__).resolve().parents[2]
OLD, RECENT = timedelta(days=40), timedelta(days=1)
CRASH_SECONDS = 120

# Runs the real CLI, but exits abruptly after `after` calls of one step of the archiver.
CRASHING_CLI = """
import os, sys
import app.audit.archive.archiver as archiver
step, after = sys.argv[1], int(sys.argv[2])
real, calls = getattr(archiver, step), 0
def crash_after(*args, **kwargs):
    global calls
    calls += 1
    if calls > after:
        os._exit(3)
    return real(*args, **kwargs)
setattr(archiver, step, crash_after)
from app.cli import cli
cli(sys.argv[3:], prog_name="crashing")
"""


async def add_rows(app: FastAPI, changes: int = 0, access: int = 0, age: timedelta = OLD) -> None:
    created_at = utcnow() - age
    async with app.state.session_factory() as session, transaction(session):
        await AuditChangeRepository(session).insert_many(
            [
                {"entity_type": "users", "entity_id": i, "action": "INSERT", "created_at": created_at}
                for i in range(changes)
            ]
        )
        await AccessLogRepository(session).insert_many(
            [
                {"method": "GET", "path": f"/p/{i}", "status_code": 200, "duration_ms": 1.0, "created_at": created_at}
                for i in range(access)
            ]
        )


async def ids_in_database(app: FastAPI, model: type[AuditChange] | type[AccessLog]) -> list[int]:
    async with app.state.session_factory() as session:
        return list((await session.scalars(select(col(model.id)).order_by(col(model.id)))).all())


def ids_in_archive(directory: Path, kind: str) -> list[int]:
    paths = sorted(directory.glob(f"*-{kind}{files.DATA_SUFFIX}"))
    return [row["id"] for path in paths for row in files.read_rows(path)]


async def run_crashing_cli(
    app: FastAPI, crash: tuple[str, int], process: str, *args: str
) -> subprocess.CompletedProcess[str]:
    """`audit archive` in a process of its own, which dies abruptly as `CRASHING_CLI` says: a fresh
    interpreter, or one forked from a process that has imported the app (tests/forkserver.py)."""
    env = {**os.environ, **settings_of(app)}
    arguments = [CRASHING_CLI, crash[0], str(crash[1]), "audit", "archive", *args]
    if process == "forked":
        return await run_forked(["-c", *arguments], PROJECT_ROOT, env, CRASH_SECONDS)
    command = [sys.executable, "-c", *arguments]
    return await asyncio.to_thread(
        subprocess.run,
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=CRASH_SECONDS, check=False,
    )  # fmt: skip


def run_archive_script(app: FastAPI, *args: str) -> subprocess.CompletedProcess[str]:
    """`scripts/archive_audit.py`, run in this process (tests/commands.py)."""
    return run_script(PROJECT_ROOT / "scripts" / "archive_audit.py", *args, cwd=PROJECT_ROOT, **settings_of(app))


def settings_of(app: FastAPI) -> dict[str, str]:
    return {"DATABASE_URL": app.state.settings.DATABASE_URL, "APP_ENV": "test", "LOG_LEVEL": "WARNING"}


async def test_archive_moves_only_old_rows_and_chains_the_files(app: FastAPI, tmp_path: Path) -> None:
    await add_rows(app, changes=4, access=3)
    await add_rows(app, changes=2, access=1, age=RECENT)
    old_changes, old_access = (await ids_in_database(app, AuditChange))[:4], (await ids_in_database(app, AccessLog))[:3]

    results = await archive(app.state.session_factory, tmp_path, ["changes", "access"], 30, batch_size=2)

    assert [(result.kind, result.count) for result in results] == [("changes", 4), ("access", 3)]
    assert ids_in_archive(tmp_path, "changes") == old_changes
    assert ids_in_archive(tmp_path, "access") == old_access
    assert len(await ids_in_database(app, AuditChange)) == 2
    assert len(await ids_in_database(app, AccessLog)) == 1
    first, second = (files.Manifest.from_bytes(path.read_bytes()) for path in files.manifest_paths(tmp_path))
    assert (first.sequence, first.count, first.first_id, first.last_id) == (1, 4, old_changes[0], old_changes[-1])
    assert first.previous_manifest_sha256 is None
    assert second.previous_manifest_sha256 == files.sha256_of(files.manifest_paths(tmp_path)[0])


async def test_nothing_old_enough_writes_nothing(app: FastAPI, tmp_path: Path) -> None:
    await add_rows(app, changes=2, age=RECENT)

    assert await archive(app.state.session_factory, tmp_path, ["changes", "access"], 30, batch_size=10) == []
    assert files.manifest_paths(tmp_path) == []


@pytest.mark.usefixtures("committed")  # the archiver commits in another process, then on an engine of its own
@pytest.mark.parametrize(
    ("crash", "process"),
    [
        pytest.param(("write_manifest", 0), "fresh", id="after-data-file-before-manifest"),
        pytest.param(("delete_batch", 0), "forked", id="after-manifest-before-deleting"),
        pytest.param(("delete_batch", 1), "forked", id="after-first-delete-batch"),
    ],
)
async def test_a_crashed_run_finished_by_the_next_loses_and_duplicates_nothing(
    app: FastAPI, tmp_path: Path, crash: tuple[str, int], process: str
) -> None:
    await add_rows(app, changes=12, access=7)
    await add_rows(app, changes=3, access=2, age=RECENT)
    before = {"changes": await ids_in_database(app, AuditChange), "access": await ids_in_database(app, AccessLog)}
    args = ("--older-than-days", "30", "--dest", str(tmp_path), "--batch-size", "5")

    crashed = await run_crashing_cli(app, crash, process, *args)
    assert crashed.returncode == 3, crashed.stderr
    finished = run_archive_script(app, *args)
    assert finished.returncode == 0, finished.stderr

    after = {"changes": await ids_in_database(app, AuditChange), "access": await ids_in_database(app, AccessLog)}
    for kind in ("changes", "access"):
        assert sorted(after[kind] + ids_in_archive(tmp_path, kind)) == before[kind]
        assert len(after[kind]) == (3 if kind == "changes" else 2)
    verified = CliRunner().invoke(cli, ["audit", "verify", "--dest", str(tmp_path)])
    assert verified.exit_code == 0, verified.output
