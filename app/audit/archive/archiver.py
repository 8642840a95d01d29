"""`audit archive`: move rows older than a cutoff into the archive, and `audit restore`.

One kind (table) at a time: stream its old rows into a file, write the manifest and
HEAD, re-read the file and check it against the manifest, and only then delete exactly
the ids the file holds, in batches. HEAD records when the deleting is done; a run that
finds it undone (a crash) finishes that first, so nothing is lost or archived twice.
"""

import asyncio
import hashlib
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import col

from app.audit.archive import files
from app.audit.archive.files import ArchiveError, Head, Manifest
from app.audit.archive.progress import progress
from app.audit.repository import AccessLogRepository, AuditChangeRepository, AuditLogRepository
from app.core.database import SessionFactory, transaction
from app.core.models import utcnow

REPOSITORIES: dict[str, type[AuditLogRepository[Any]]] = {
    "changes": AuditChangeRepository,
    "access": AccessLogRepository,
}
DEFAULT_BATCH_SIZE = 1000


@dataclass(frozen=True)
class ArchiveResult:
    kind: str
    file: str
    count: int


async def archive(
    session_factory: SessionFactory, directory: Path, kinds: list[str], older_than_days: int, batch_size: int
) -> list[ArchiveResult]:
    cutoff = utcnow() - timedelta(days=older_than_days)
    with files.exclusive_lock(directory):
        await finish_interrupted_run(session_factory, directory, batch_size)
        results = []
        for kind in kinds:
            result = await _archive_kind(session_factory, directory, kind, cutoff, batch_size)
            if result is not None:
                results.append(result)
        return results


async def finish_interrupted_run(session_factory: SessionFactory, directory: Path, batch_size: int) -> None:
    head = await asyncio.to_thread(_recover_head, directory)
    if head is not None and not head.rows_deleted:
        manifest = Manifest.from_bytes(await asyncio.to_thread(_manifest_path(directory, head.sequence).read_bytes))
        await _delete_archived_rows(session_factory, directory, manifest, batch_size)
        await asyncio.to_thread(files.write_head, directory, replace(head, rows_deleted=True))


def _recover_head(directory: Path) -> Head | None:
    """Clear a crashed run's debris; if it died between a manifest and HEAD, catch HEAD up."""
    files.remove_debris(directory)
    head = files.read_head(directory)
    paths = files.manifest_paths(directory)
    if not paths:
        if head is not None:
            raise ArchiveError("HEAD.json names an archive but no manifest exists; run `audit verify`")
        return None
    raw = paths[-1].read_bytes()
    manifest = Manifest.from_bytes(raw)
    if head is not None and head.sequence == manifest.sequence:
        return head
    expected_previous = head.manifest_sha256 if head is not None else None
    if (
        manifest.sequence != (head.sequence + 1 if head else 1)
        or manifest.previous_manifest_sha256 != expected_previous
    ):
        raise ArchiveError(f"HEAD.json does not lead to {paths[-1].name}; run `audit verify` before archiving again")
    adopted = Head(manifest.sequence, hashlib.sha256(raw).hexdigest(), rows_deleted=False)
    files.write_head(directory, adopted)
    return adopted


async def _archive_kind(
    session_factory: SessionFactory, directory: Path, kind: str, cutoff: datetime, batch_size: int
) -> ArchiveResult | None:
    previous = await asyncio.to_thread(files.read_head, directory)
    sequence = previous.sequence + 1 if previous else 1
    data_name = f"{files.base_name(sequence, kind)}{files.DATA_SUFFIX}"
    summary = await _write_rows(session_factory, directory / data_name, kind, cutoff, batch_size)
    if summary is None:
        return None
    manifest = Manifest(
        format=files.FORMAT_VERSION,
        sequence=sequence,
        kind=kind,
        file=data_name,
        previous_manifest_sha256=previous.manifest_sha256 if previous else None,
        archived_at=utcnow().isoformat(),
        cutoff=cutoff.isoformat(),
        sha256=await asyncio.to_thread(files.sha256_of, directory / data_name),
        **summary.manifest_fields(),
    )
    head = await asyncio.to_thread(write_manifest, directory, manifest)
    await _delete_archived_rows(session_factory, directory, manifest, batch_size)
    await asyncio.to_thread(files.write_head, directory, replace(head, rows_deleted=True))
    return ArchiveResult(kind, data_name, manifest.count)


def write_manifest(directory: Path, manifest: Manifest) -> Head:
    """The manifest, then HEAD pointing at it with its rows not yet deleted."""
    raw = manifest.to_bytes()
    path = directory / f"{files.base_name(manifest.sequence, manifest.kind)}{files.MANIFEST_SUFFIX}"
    files.write_atomically(path, raw)
    head = Head(manifest.sequence, hashlib.sha256(raw).hexdigest(), rows_deleted=False)
    files.write_head(directory, head)
    return head


@dataclass
class _Summary:
    """What the manifest says about the rows written: count, id range, time range."""

    count: int = 0
    first_id: int = 0
    last_id: int = 0
    created_from: datetime | None = None
    created_to: datetime | None = None

    def add(self, row_id: int, created_at: datetime) -> None:
        self.first_id = row_id if self.count == 0 else self.first_id
        self.last_id = row_id
        self.created_from = min(self.created_from or created_at, created_at)
        self.created_to = max(self.created_to or created_at, created_at)
        self.count += 1

    def manifest_fields(self) -> dict[str, Any]:
        times = {"created_from": self.created_from, "created_to": self.created_to}
        return {**asdict(self), **{key: value.isoformat() if value else "" for key, value in times.items()}}


async def _write_rows(
    session_factory: SessionFactory, path: Path, kind: str, cutoff: datetime, batch_size: int
) -> _Summary | None:
    repository_class = REPOSITORIES[kind]
    older = [col(repository_class.model.created_at) < cutoff]
    summary = _Summary()
    async with session_factory() as session:
        repository = repository_class(session)
        total = await repository.count(filters=older)
        if total == 0:
            return None
        writer = await asyncio.to_thread(files.RowFileWriter, path)
        try:
            with progress(total, f"archive {kind}") as bar:
                while rows := await repository.after_id(summary.last_id, older, batch_size):
                    dumped = [row.model_dump(mode="json") for row in rows]
                    await asyncio.to_thread(writer.write, dumped)
                    for row in rows:
                        summary.add(row.id, row.created_at)
                    bar.update(len(rows))
        except BaseException:
            await asyncio.to_thread(writer.discard)
            raise
    await asyncio.to_thread(writer.commit)
    return summary


async def _delete_archived_rows(
    session_factory: SessionFactory, directory: Path, manifest: Manifest, batch_size: int
) -> None:
    # The ids come from re-reading the file, so only rows that are safely archived go.
    ids = await asyncio.to_thread(files.check_data_file, directory, manifest)
    with progress(len(ids), f"delete {manifest.kind}") as bar:
        for start in range(0, len(ids), batch_size):
            batch = ids[start : start + batch_size]
            await delete_batch(session_factory, manifest.kind, batch)
            bar.update(len(batch))


async def delete_batch(session_factory: SessionFactory, kind: str, ids: list[int]) -> None:
    async with session_factory() as session, transaction(session):
        await REPOSITORIES[kind](session).delete_ids(ids)


def _manifest_path(directory: Path, sequence: int) -> Path:
    [path] = directory.glob(f"{sequence:06d}-*{files.MANIFEST_SUFFIX}")
    return path
