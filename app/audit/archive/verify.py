"""`audit verify`: every file against its manifest, and the chain of manifests end to end."""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from app.audit.archive.files import (
    HEAD_NAME,
    ArchiveError,
    Manifest,
    check_data_file,
    manifest_paths,
    read_head,
    sequence_in_name,
)


@dataclass
class VerifyReport:
    files: int = 0
    rows: int = 0
    problems: list[str] = field(default_factory=list)


def verify_archive(directory: Path) -> VerifyReport:
    report = VerifyReport()
    if not manifest_paths(directory) and not (directory / HEAD_NAME).exists():
        # Nothing to check is not a pass: a wrong path, or an archive that was removed whole.
        report.problems.append(f"no archive in {directory}")
        return report
    previous_name, previous_hash = "(start of chain)", None
    expected_sequence = 1
    for path in manifest_paths(directory):
        raw = path.read_bytes()
        manifest_hash = hashlib.sha256(raw).hexdigest()
        try:
            manifest = Manifest.from_bytes(raw)
        except ArchiveError as exc:
            report.problems.append(f"{path.name}: {exc}")
            previous_name, previous_hash = path.name, manifest_hash
            continue
        report.problems += _chain_problems(path, manifest, expected_sequence, previous_name, previous_hash)
        try:
            check_data_file(directory, manifest)
        except ArchiveError as exc:
            report.problems.append(str(exc))
        report.files += 1
        report.rows += manifest.count
        previous_name, previous_hash = path.name, manifest_hash
        expected_sequence = manifest.sequence + 1
    report.problems += _head_problems(directory, expected_sequence - 1, previous_hash)
    return report


def _chain_problems(
    path: Path, manifest: Manifest, expected: int, previous_name: str, previous_hash: str | None
) -> list[str]:
    problems = []
    if sequence_in_name(path) != manifest.sequence:
        problems.append(f"{path.name}: names sequence {sequence_in_name(path)} but holds {manifest.sequence}")
    if manifest.sequence != expected:
        problems.append(
            f"{path.name}: sequence {manifest.sequence} where {expected} was expected (a manifest is missing or moved)"
        )
    if manifest.previous_manifest_sha256 != previous_hash:
        problems.append(
            f"{path.name}: previous-manifest hash does not match {previous_name} (the chain was altered or reordered)"
        )
    return problems


def _head_problems(directory: Path, last_sequence: int, last_hash: str | None) -> list[str]:
    try:
        head = read_head(directory)
    except ArchiveError as exc:
        return [str(exc)]
    if head is None:
        return [] if last_hash is None else ["HEAD.json is missing"]
    if head.sequence != last_sequence:
        return [
            f"HEAD.json names sequence {head.sequence}, the newest manifest is {last_sequence} "
            "(newest archives were removed, or a run was interrupted: re-run `audit archive`)"
        ]
    if head.manifest_sha256 != last_hash:
        return [
            f"HEAD.json holds a different hash for sequence {head.sequence} than its manifest has "
            "(the newest manifest or HEAD.json was changed)"
        ]
    if not head.rows_deleted:
        return [f"sequence {head.sequence}: its rows are not yet deleted from the database (re-run `audit archive`)"]
    return []
