"""The archive tried as an attacker would: forged files are refused before anything is inserted,
an empty or missing archive is not a pass, and archiving removes only what it wrote."""

import gzip
import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from app.audit.archive import files
from app.audit.archive.archiver import archive
from app.audit.models import AuditChange
from app.cli import cli
from tests.audit.test_archive import PROJECT_ROOT, add_rows, ids_in_database
from tests.audit.test_archive_verify_restore import chain, data_file  # noqa: F401 - `chain` is a fixture
from tests.commands import run_app

FORGED_ROW = {
    "id": 999_001,
    "entity_type": "users",
    "entity_id": 1,
    "action": "DELETE",
    "old_values": {"id": 1, "email": "admin@example.com"},
    "new_values": None,
    "changed_fields": None,
    "actor_id": 666,
    "request_id": "attacker-chosen",
    "created_at": "2026-01-01T00:00:00+00:00",
    "reason": None,
}


def restore_cli(app: FastAPI, path: Path) -> subprocess.CompletedProcess[str]:
    """`python -m app audit restore FILE` against the test's database, as an operator runs it (in this process)."""
    env = {"DATABASE_URL": app.state.settings.DATABASE_URL, "APP_ENV": "test", "LOG_LEVEL": "WARNING"}
    return run_app("audit", "restore", str(path), cwd=PROJECT_ROOT, **env)


def write_rows(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_bytes(gzip.compress(b"".join(json.dumps(row, sort_keys=True).encode() + b"\n" for row in rows)))


async def test_a_forged_file_with_a_copied_manifest_pointing_at_a_genuine_file_is_refused(
    chain: list[Path],  # noqa: F811 - the fixture
    app: FastAPI,
    tmp_path: Path,
) -> None:
    forged = tmp_path / "000009-changes.jsonl.gz"
    write_rows(forged, [FORGED_ROW])
    # The genuine manifest of file 1, copied beside the forgery: its `file` and sha256 are file 1's.
    (tmp_path / "000009-changes.manifest.json").write_bytes(chain[0].read_bytes())

    result = restore_cli(app, forged)

    assert result.returncode == 1
    assert "restored" not in result.stdout
    assert await ids_in_database(app, AuditChange) == []


async def test_a_file_edited_with_its_own_manifest_is_refused(
    chain: list[Path],  # noqa: F811 - the fixture
    app: FastAPI,
) -> None:
    target = data_file(chain[1])
    write_rows(target, [FORGED_ROW, {**FORGED_ROW, "id": 999_002}])
    manifest = json.loads(chain[1].read_bytes())
    manifest.update(count=2, first_id=999_001, last_id=999_002, sha256=files.sha256_of(target))
    chain[1].write_bytes(files.Manifest(**manifest).to_bytes())  # consistent with the file, not with the chain

    verified = CliRunner().invoke(cli, ["audit", "verify", "--dest", str(target.parent)])
    result = restore_cli(app, target)

    assert verified.exit_code == 1
    assert result.returncode == 1
    assert "does not verify" in result.stderr
    assert await ids_in_database(app, AuditChange) == []


@pytest.mark.usefixtures("committed")  # the restore commits on an engine of its own
async def test_a_genuine_file_restores_once_the_archive_verifies(
    chain: list[Path],  # noqa: F811 - the fixture
    app: FastAPI,
) -> None:
    result = restore_cli(app, data_file(chain[2]))

    assert result.returncode == 0, result.stderr
    assert "restored 2 rows" in result.stdout


async def test_a_renamed_genuine_file_is_refused(
    chain: list[Path],  # noqa: F811 - the fixture
    app: FastAPI,
) -> None:
    # File 1's bytes under file 2's name: the hash matches nothing file 2's manifest says.
    data_file(chain[1]).write_bytes(data_file(chain[0]).read_bytes())

    result = restore_cli(app, data_file(chain[1]))

    assert result.returncode == 1
    assert await ids_in_database(app, AuditChange) == []


@pytest.mark.parametrize("exists", [True, False], ids=["empty", "missing"])
def test_verify_of_a_directory_without_an_archive_fails(tmp_path: Path, exists: bool) -> None:
    directory = tmp_path / "archive"
    if exists:
        directory.mkdir()

    result = CliRunner().invoke(cli, ["audit", "verify", "--dest", str(directory)])

    assert result.exit_code == 1
    assert f"no archive in {directory}" in result.output
    assert "OK" not in result.output


async def test_archive_never_removes_files_it_did_not_write(app: FastAPI, tmp_path: Path) -> None:
    keep = {
        "operator-backup.jsonl.gz": b"backup",
        "notes.tmp": b"notes",
        "changes.jsonl.gz": b"not ours either",
    }
    for name, content in keep.items():
        (tmp_path / name).write_bytes(content)
    await add_rows(app, changes=2)

    await archive(app.state.session_factory, tmp_path, ["changes"], 30, batch_size=10)
    await add_rows(app, changes=1)
    await archive(app.state.session_factory, tmp_path, ["changes"], 30, batch_size=10)

    assert {name: (tmp_path / name).read_bytes() for name in keep} == keep
    assert len(files.manifest_paths(tmp_path)) == 2


async def test_a_data_file_that_lost_its_manifest_is_kept_for_verify(
    chain: list[Path],  # noqa: F811 - the fixture
    app: FastAPI,
    tmp_path: Path,
) -> None:
    chain[1].unlink()  # an archived file whose manifest went missing: evidence, not debris

    await archive(app.state.session_factory, tmp_path, ["changes"], 30, batch_size=10)

    assert data_file(chain[1]).exists()


@pytest.mark.usefixtures("chain")
async def test_a_head_with_a_changed_hash_is_reported_as_such(tmp_path: Path) -> None:
    head = json.loads((tmp_path / files.HEAD_NAME).read_bytes())
    head["manifest_sha256"] = hashlib.sha256(b"something else").hexdigest()
    (tmp_path / files.HEAD_NAME).write_text(json.dumps(head))

    result = CliRunner().invoke(cli, ["audit", "verify", "--dest", str(tmp_path)])

    assert result.exit_code == 1
    assert "HEAD.json holds a different hash for sequence 3 than its manifest has" in result.output
    assert "names sequence 3, the newest manifest is 3" not in result.output
