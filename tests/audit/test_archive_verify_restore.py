"""`audit verify` finds what was changed, removed or reordered; `audit restore` puts rows back."""

from pathlib import Path

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner, Result

from app.audit.archive import files
from app.audit.archive.archiver import archive
from app.audit.archive.files import ArchiveError
from app.audit.archive.restore import restore
from app.audit.models import AuditChange
from app.cli import cli
from tests.audit.test_archive import add_rows, ids_in_archive, ids_in_database


def verify(directory: Path) -> Result:
    return CliRunner().invoke(cli, ["audit", "verify", "--dest", str(directory)])


@pytest.fixture
async def chain(app: FastAPI, tmp_path: Path) -> list[Path]:
    """Three archive runs: three data files, three chained manifests."""
    for _ in range(3):
        await add_rows(app, changes=2)
        await archive(app.state.session_factory, tmp_path, ["changes"], 30, batch_size=10)
    return files.manifest_paths(tmp_path)


def data_file(manifest_path: Path) -> Path:
    return manifest_path.with_name(manifest_path.name.removesuffix(files.MANIFEST_SUFFIX) + files.DATA_SUFFIX)


async def test_an_intact_chain_verifies(chain: list[Path], tmp_path: Path) -> None:
    assert [files.sequence_in_name(path) for path in chain] == [1, 2, 3]

    result = verify(tmp_path)

    assert result.exit_code == 0, result.output
    assert "3 files, 6 rows" in result.output


async def test_a_changed_byte_is_found(chain: list[Path], tmp_path: Path) -> None:
    target = data_file(chain[1])
    content = bytearray(target.read_bytes())
    content[len(content) // 2] ^= 0x01
    target.write_bytes(bytes(content))

    result = verify(tmp_path)

    assert result.exit_code == 1
    assert f"{target.name}: sha256 does not match" in result.output


async def test_a_changed_manifest_breaks_the_chain(chain: list[Path], tmp_path: Path) -> None:
    chain[0].write_bytes(chain[0].read_bytes().replace(b'"count": 2', b'"count": 3'))

    result = verify(tmp_path)

    assert result.exit_code == 1
    assert f"{chain[1].name}: previous-manifest hash does not match {chain[0].name}" in result.output


async def test_a_removed_data_file_is_found(chain: list[Path], tmp_path: Path) -> None:
    data_file(chain[0]).unlink()

    result = verify(tmp_path)

    assert result.exit_code == 1
    assert f"{data_file(chain[0]).name}: file is missing" in result.output


@pytest.mark.parametrize(
    ("removed", "expected"),
    [
        pytest.param(1, "sequence 3 where 2 was expected", id="middle"),
        pytest.param(2, "HEAD.json names sequence 3, the newest manifest is 2", id="newest"),
    ],
)
async def test_a_removed_archive_is_found(chain: list[Path], tmp_path: Path, removed: int, expected: str) -> None:
    chain[removed].unlink()
    data_file(chain[removed]).unlink()

    result = verify(tmp_path)

    assert result.exit_code == 1
    assert expected in result.output


async def test_a_reordered_chain_is_found(chain: list[Path], tmp_path: Path) -> None:
    # Swap links 1 and 2, renaming their files so that every name still looks consistent.
    for path in (chain[0], chain[1], data_file(chain[0]), data_file(chain[1])):
        path.rename(path.with_name("swap-" + path.name))
    for old, new in ((chain[0], chain[1]), (chain[1], chain[0])):
        old.with_name("swap-" + old.name).rename(new)
        data_file(old).with_name("swap-" + data_file(old).name).rename(data_file(new))

    result = verify(tmp_path)

    assert result.exit_code == 1
    assert "the chain was altered or reordered" in result.output


async def test_restore_puts_rows_back_and_skips_those_present(app: FastAPI, tmp_path: Path) -> None:
    await add_rows(app, changes=5)
    archived = await ids_in_database(app, AuditChange)
    await archive(app.state.session_factory, tmp_path, ["changes"], 30, batch_size=2)
    [manifest] = files.manifest_paths(tmp_path)
    assert await ids_in_database(app, AuditChange) == []

    first = await restore(app.state.session_factory, data_file(manifest), batch_size=2)
    second = await restore(app.state.session_factory, data_file(manifest), batch_size=2)

    assert (first.restored, first.skipped) == (5, 0)
    assert (second.restored, second.skipped) == (0, 5)
    assert await ids_in_database(app, AuditChange) == archived == ids_in_archive(tmp_path, "changes")


async def test_restore_refuses_a_file_that_does_not_match_its_manifest(chain: list[Path], app: FastAPI) -> None:
    target = data_file(chain[0])
    target.write_bytes(target.read_bytes() + b"\0")

    with pytest.raises(ArchiveError, match="sha256"):
        await restore(app.state.session_factory, target, batch_size=10)
    assert await ids_in_database(app, AuditChange) == []
