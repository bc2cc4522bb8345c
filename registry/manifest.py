"""Checksum manifests: what a model folder held when it was logged, verified when loaded."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

MANIFEST = "checksums.json"


class ChecksumError(RuntimeError):
    """A model folder does not match its manifest; the message names the file."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)


def write_manifest(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder`, written to checksums.json; returns it."""
    sums = {p.relative_to(folder).as_posix(): _sha256(p) for p in _files(folder)}
    (folder / MANIFEST).write_text(json.dumps(sums, indent=2, sort_keys=True) + "\n")
    return sums


def manifest_digest(sums: dict[str, str]) -> str:
    """One hash for the whole model (recorded as a tag on the registered version)."""
    return hashlib.sha256(json.dumps(sums, sort_keys=True).encode()).hexdigest()


def verify_manifest(folder: Path) -> dict[str, str]:
    """Raise ChecksumError unless every file matches checksums.json and none was added."""
    path = folder / MANIFEST
    try:
        expected = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ChecksumError(f"{path}: missing; refusing to load an unverified model") from None
    except ValueError as error:
        raise ChecksumError(f"{path}: not valid JSON: {error}") from None
    present = {p.relative_to(folder).as_posix() for p in _files(folder)}
    for name in sorted(set(expected) - present):
        raise ChecksumError(f"{folder / name}: listed in {MANIFEST} but missing")
    for name in sorted(present - set(expected)):
        raise ChecksumError(f"{folder / name}: not listed in {MANIFEST}")
    for name, digest in sorted(expected.items()):
        if _sha256(folder / name) != digest:
            raise ChecksumError(f"{folder / name}: sha256 differs from {MANIFEST}")
    return expected
