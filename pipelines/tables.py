"""The one module that reads and writes the canonical and feature tables (one Parquet file per table).

Canonical tables live in ``settings.canonical_dir`` and come back in their contract dtypes; an
optional table (``contracts.optional_inputs``) that is not there reads as an empty table. Feature
and label tables live in ``settings.features_dir``. A required table that is not there raises
``MissingInput`` naming the file and the command that writes it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from contracts.errors import MissingInput
from contracts.optional_inputs import OPTIONAL_TABLES, empty_table
from contracts.schemas import stored_dtype
from contracts.tables import CANONICAL_TABLES

WRITES_CANONICAL = "run `backorder simulate` or `backorder ingest` (or `backorder demo`)"
WRITES_FEATURES = "run `backorder features build`"


def table_path(folder: Path, name: str) -> Path:
    """Where table ``name`` is stored in ``folder``."""
    return folder / f"{name}.parquet"


def missing_tables(folder: Path, names: Iterable[str]) -> list[str]:
    """The tables of ``names`` that ``folder`` does not hold."""
    return [name for name in names if not table_path(folder, name).exists()]


def require_canonical(canonical_dir: Path, names: Iterable[str]) -> None:
    """Raise ``MissingInput`` naming every required canonical table of ``names`` that is absent."""
    if missing := [name for name in missing_tables(canonical_dir, names) if name not in OPTIONAL_TABLES]:
        raise MissingInput(f"canonical table(s) {', '.join(missing)}", WRITES_CANONICAL, canonical_dir)


def require_features(features_dir: Path, names: Iterable[str]) -> None:
    """Raise ``MissingInput`` naming every feature table of ``names`` that is absent."""
    if missing := missing_tables(features_dir, names):
        raise MissingInput(f"feature table(s) {', '.join(missing)}", WRITES_FEATURES, features_dir)


def read_canonical_tables(
    canonical_dir: Path, names: Iterable[str], columns: Mapping[str, list[str]] | None = None
) -> dict[str, pd.DataFrame]:
    """``<canonical_dir>/<table>.parquet`` for each table, in canonical dtypes.

    ``columns`` limits what is read of the tables it names (the others are read whole). An absent
    optional table comes back empty.
    """
    names = tuple(names)
    require_canonical(canonical_dir, names)
    tables = {}
    for name in names:
        wanted = (columns or {}).get(name)
        path = table_path(canonical_dir, name)
        frame = pd.read_parquet(path, columns=wanted) if path.exists() else empty_table(name)[wanted or slice(None)]
        dtypes = {c.name: stored_dtype(c) for c in CANONICAL_TABLES[name].columns if c.name in frame}
        tables[name] = frame.astype(dtypes)
    return tables


def write_canonical_tables(tables: Mapping[str, pd.DataFrame], out_dir: Path) -> None:
    """Each table as ``<out_dir>/<table>.parquet`` (the folder is created)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_parquet(table_path(out_dir, name), index=False)


def read_feature_table(
    features_dir: Path, name: str, columns: list[str] | None = None, filters: list[tuple] | None = None
) -> pd.DataFrame:
    """``<features_dir>/<name>.parquet``, optionally only some columns or rows (pyarrow filters)."""
    require_features(features_dir, (name,))
    return pd.read_parquet(table_path(features_dir, name), columns=columns, filters=filters)


def latest_feature_rows(features_dir: Path, name: str, timestamp: str) -> pd.DataFrame:
    """The rows of a feature table at its newest ``timestamp`` (read with a filter, not whole)."""
    newest = read_feature_table(features_dir, name, columns=[timestamp])[timestamp].max()
    return read_feature_table(features_dir, name, filters=[(timestamp, "==", newest)])


def write_table_pieces(
    pieces: Iterable[tuple[str, pd.DataFrame]],
    out_dir: Path,
    keep_before: Mapping[str, tuple[str, pd.Timestamp]] | None = None,
) -> dict[str, int]:
    """Append each ``(table, rows)`` piece to ``out_dir/<table>.parquet``; returns rows per table.

    ``keep_before`` maps a stored table to ``(column, cut)``: its stored rows whose ``column`` is
    before ``cut`` are written first (streamed, never whole in memory) and the pieces replace the
    rest, so a build that computed only the recent rows rewrites the tail of each table. Pieces are
    written as they come (memory holds one piece), into a staging folder that replaces the tables
    only once every piece is written.
    """
    staging = out_dir.parent / f".{out_dir.name}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    writers: dict[str, pq.ParquetWriter] = {}
    rows: dict[str, int] = {}
    try:
        for name, (column, cut) in (keep_before or {}).items():
            stored = ds.dataset(table_path(out_dir, name), format="parquet")
            writers[name] = pq.ParquetWriter(table_path(staging, name), stored.schema)
            rows[name] = 0
            for batch in stored.to_batches(filter=ds.field(column) < pa.scalar(cut, stored.schema.field(column).type)):
                writers[name].write_batch(batch)
                rows[name] += batch.num_rows
        for name, frame in pieces:
            if name not in writers:
                schema = pa.Schema.from_pandas(frame, preserve_index=False)
                writers[name] = pq.ParquetWriter(table_path(staging, name), schema)
            table = pa.Table.from_pandas(frame, schema=writers[name].schema, preserve_index=False)
            writers[name].write_table(table)
            rows[name] = rows.get(name, 0) + len(frame)
    finally:
        for writer in writers.values():
            writer.close()
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in staging.iterdir():
        path.replace(out_dir / path.name)
    staging.rmdir()
    return rows
