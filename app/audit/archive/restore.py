"""`audit restore FILE`: put an archived file's rows back, skipping ids already present."""

import asyncio
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from app.audit.archive import files
from app.audit.archive.archiver import REPOSITORIES
from app.audit.archive.files import ArchiveError, Manifest
from app.audit.archive.progress import progress
from app.audit.archive.verify import verify_archive
from app.core.database import SessionFactory, transaction


@dataclass(frozen=True)
class RestoreResult:
    restored: int
    skipped: int


async def restore(session_factory: SessionFactory, data_file: Path, batch_size: int) -> RestoreResult:
    manifest = await asyncio.to_thread(_checked_manifest, data_file)
    model = REPOSITORIES[manifest.kind].model
    rows = files.read_rows(data_file)
    restored = skipped = 0
    with progress(manifest.count, f"restore {manifest.kind}") as bar:
        while raw := await asyncio.to_thread(lambda: list(islice(rows, batch_size))):
            batch = [model.model_validate(row).model_dump() for row in raw]
            inserted = await _insert_missing(session_factory, manifest.kind, batch)
            restored, skipped = restored + inserted, skipped + len(batch) - inserted
            bar.update(len(batch))
    return RestoreResult(restored, skipped)


def _checked_manifest(data_file: Path) -> Manifest:
    """The file's manifest, once the whole archive verifies and the file is the one its
    manifest names, with the hash the chain vouches for. Nothing is inserted otherwise."""
    if not data_file.name.endswith(files.DATA_SUFFIX):
        raise ArchiveError(f"{data_file.name}: expected a {files.DATA_SUFFIX} archive file")
    report = verify_archive(data_file.parent)
    if report.problems:
        raise ArchiveError(f"the archive does not verify, nothing restored: {'; '.join(report.problems)}")
    manifest_path = data_file.with_name(data_file.name.removesuffix(files.DATA_SUFFIX) + files.MANIFEST_SUFFIX)
    if not manifest_path.exists():
        raise ArchiveError(f"{manifest_path.name}: manifest is missing")
    manifest = Manifest.from_bytes(manifest_path.read_bytes())
    if manifest.file != data_file.name:
        raise ArchiveError(f"{manifest_path.name} describes {manifest.file}, not {data_file.name}")
    files.check_data_file(data_file.parent, manifest)
    return manifest


async def _insert_missing(session_factory: SessionFactory, kind: str, batch: list[dict[str, Any]]) -> int:
    async with session_factory() as session, transaction(session):
        repository = REPOSITORIES[kind](session)
        present = await repository.existing_ids([row["id"] for row in batch])
        missing = [row for row in batch if row["id"] not in present]
        await repository.insert_many(missing)
        return len(missing)
