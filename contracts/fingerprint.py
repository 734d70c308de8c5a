"""Content digests of input files: how a step knows its inputs are unchanged and may be skipped."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


def file_digest(paths: list[Path], *extra: str) -> str:
    """A short SHA-256 over the names and bytes of ``paths`` (order-independent) and ``extra``;
    a folder counts as the files under it."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(path.parent)).encode())
            with file.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    for item in extra:
        digest.update(item.encode())
    return digest.hexdigest()[:16]


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """A stable content hash of a data set (row values in order, and column names): the identity
    of a training set, or of the history a step already processed."""
    return hashes_fingerprint(row_hashes(frame), frame.columns)


def row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash per row of ``frame`` (its values, not its index): a row's hash does not depend
    on the other rows, so the fingerprint of any subset of rows can be taken from these."""
    import pandas as pd  # here: the command line imports this module and starts without pandas

    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def hashes_fingerprint(hashes: np.ndarray, columns: Iterable[object]) -> str:
    """``frame_fingerprint`` of the rows whose ``row_hashes`` are ``hashes``, in that order."""
    digest = hashlib.sha256(hashes.tobytes())
    digest.update(",".join(map(str, columns)).encode())
    return digest.hexdigest()[:16]
