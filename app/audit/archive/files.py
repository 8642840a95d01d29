"""The archive directory: gzip JSON Lines files, one manifest each, chained by hashes.

    000001-changes.jsonl.gz        the rows, one JSON object per line, in id order
    000001-changes.manifest.json   count, id and time range, sha256 of the file,
                                   sha256 of the previous manifest (the chain)
    HEAD.json                      the newest manifest's hash, and whether its rows
                                   have been deleted from the database yet

Every file is written under a temporary name and renamed into place, so a crash leaves
either the old state or the new one, plus `*.tmp` debris that the next run removes.
"""

import fcntl
import gzip
import hashlib
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

DATA_SUFFIX = ".jsonl.gz"
MANIFEST_SUFFIX = ".manifest.json"
HEAD_NAME = "HEAD.json"
FORMAT_VERSION = 1
# What the archive writes, and so all it may ever remove: 000001-changes.jsonl.gz,
# 000001-changes.manifest.json, HEAD.json, and each of those with a .tmp suffix.
_ARCHIVE_NAME = re.compile(r"(\d{6}-[a-z]+(\.jsonl\.gz|\.manifest\.json)|HEAD\.json)(\.tmp)?")


class ArchiveError(Exception):
    """The archive is not in a state this command can safely work from."""


@dataclass(frozen=True)
class Manifest:
    format: int
    sequence: int
    kind: str
    file: str
    count: int
    first_id: int
    last_id: int
    created_from: str
    created_to: str
    sha256: str
    previous_manifest_sha256: str | None
    archived_at: str
    cutoff: str

    def to_bytes(self) -> bytes:
        return (json.dumps(asdict(self), indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> "Manifest":
        try:
            return cls(**json.loads(raw))
        except (ValueError, TypeError) as exc:
            raise ArchiveError(f"unreadable manifest: {exc}") from exc


@dataclass(frozen=True)
class Head:
    sequence: int
    manifest_sha256: str
    rows_deleted: bool


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def base_name(sequence: int, kind: str) -> str:
    return f"{sequence:06d}-{kind}"


def manifest_paths(directory: Path) -> list[Path]:
    """Manifests in chain order (their names begin with the zero-padded sequence)."""
    return sorted(directory.glob(f"*{MANIFEST_SUFFIX}"))


def sequence_in_name(path: Path) -> int | None:
    prefix = path.name.split("-", 1)[0]
    return int(prefix) if prefix.isdigit() else None


def write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("wb") as handle:
        handle.write(data)
        _sync(handle)
    temporary.replace(path)


def read_head(directory: Path) -> Head | None:
    path = directory / HEAD_NAME
    if not path.exists():
        return None
    try:
        return Head(**json.loads(path.read_bytes()))
    except (ValueError, TypeError) as exc:
        raise ArchiveError(f"{HEAD_NAME} is unreadable: {exc}") from exc


def write_head(directory: Path, head: Head) -> None:
    write_atomically(directory / HEAD_NAME, (json.dumps(asdict(head), indent=2) + "\n").encode())


def is_archive_file(name: str) -> bool:
    """Whether `name` is one the archive writes: a data file, a manifest, HEAD, or one of their temporaries."""
    return _ARCHIVE_NAME.fullmatch(name) is not None


def remove_debris(directory: Path) -> None:
    """A crashed run's temporaries, and data files whose manifest was never written: their
    rows are still in the database, since deleting starts only once the manifest exists.

    Only names the archive itself writes: anything else an operator keeps in the directory
    (a backup, notes) is left alone, whatever its suffix. And only a data file newer than
    HEAD: an older one without its manifest is evidence for `audit verify`, not debris.
    """
    head = read_head(directory)
    newest = head.sequence if head is not None else 0
    for path in directory.glob("*.tmp"):
        if is_archive_file(path.name):
            path.unlink()
    for path in directory.glob(f"*{DATA_SUFFIX}"):
        manifest = path.with_name(path.name.removesuffix(DATA_SUFFIX) + MANIFEST_SUFFIX)
        if is_archive_file(path.name) and (sequence_in_name(path) or 0) > newest and not manifest.exists():
            path.unlink()


class RowFileWriter:
    """Streams rows into `<path>.tmp`; `commit()` syncs it and renames it into place."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.temporary = path.with_name(path.name + ".tmp")
        self._raw: IO[bytes] = self.temporary.open("wb")
        self._gzip = gzip.GzipFile(fileobj=self._raw, mode="wb")

    def write(self, rows: list[dict[str, Any]]) -> None:
        self._gzip.write(b"".join(json.dumps(row, sort_keys=True).encode() + b"\n" for row in rows))

    def commit(self) -> None:
        self._gzip.close()
        _sync(self._raw)
        self._raw.close()
        self.temporary.replace(self.path)

    def discard(self) -> None:
        self._gzip.close()
        self._raw.close()
        self.temporary.unlink(missing_ok=True)


def read_rows(path: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(path, "rb") as handle:
        for line in handle:
            yield json.loads(line)


def check_data_file(directory: Path, manifest: Manifest) -> list[int]:
    """Re-read a data file against its manifest; return its ids, or raise what is wrong."""
    path = directory / manifest.file
    if not path.exists():
        raise ArchiveError(f"{manifest.file}: file is missing")
    if sha256_of(path) != manifest.sha256:
        raise ArchiveError(f"{manifest.file}: sha256 does not match its manifest (the file was changed)")
    try:
        ids = [int(row["id"]) for row in read_rows(path)]
    except (OSError, EOFError, ValueError, KeyError) as exc:
        raise ArchiveError(f"{manifest.file}: cannot be read back: {exc}") from exc
    if len(ids) != manifest.count:
        raise ArchiveError(f"{manifest.file}: holds {len(ids)} rows, its manifest says {manifest.count}")
    if ids != sorted(set(ids)) or (ids and (ids[0], ids[-1]) != (manifest.first_id, manifest.last_id)):
        raise ArchiveError(f"{manifest.file}: ids are out of order or outside the manifest's range")
    return ids


@contextmanager
def exclusive_lock(directory: Path) -> Iterator[None]:
    """One archive run per directory at a time; the OS releases the lock if the process dies."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ArchiveError(f"another archive run holds {directory / '.lock'}") from exc
        yield


def _sync(handle: IO[bytes]) -> None:
    handle.flush()
    os.fsync(handle.fileno())
