"""Content digests of input files: how a step knows its inputs are unchanged and may be skipped."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_digest(paths: list[Path], *extra: str) -> str:
    """A short SHA-256 over the names and bytes of ``paths`` (order-independent) and ``extra``."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    for item in extra:
        digest.update(item.encode())
    return digest.hexdigest()[:16]
