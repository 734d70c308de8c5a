"""The one module that reads and writes the canonical and feature tables.

Canonical tables live in ``settings.canonical_dir``, one Parquet file per table, and come back in
their contract dtypes; an optional table (``contracts.optional_inputs``) that is not there reads as
an empty table. Feature and label tables live in ``settings.features_dir``, each a folder
``<table>.parquet/`` of one file per month of its rows (``part-YYYY-MM.parquet``), so a build that
adds days rewrites the last month or two only; pandas, pyarrow, Dask and Feast read the folder as
one table, months in order. A required table that is not there raises ``MissingInput`` naming the
file and the command that writes it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
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


class TableLayout(NamedTuple):
    """How a feature table's rows are stored: sorted by ``order`` (series keys, then the ``day``
    column, then any tie-breakers), one file per month of ``day``."""

    order: tuple[str, ...]
    day: str


def write_table_files(pieces: Iterable[tuple[str, pd.DataFrame]], out_dir: Path) -> dict[str, int]:
    """Append each ``(table, rows)`` piece to the single file ``out_dir/<table>.parquet`` (the
    canonical tables' layout); returns rows per table.

    Pieces are written as they come (memory holds one piece), into a staging folder that replaces
    the tables only once every piece is written.
    """
    staging = out_dir.parent / f".{out_dir.name}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    writers: dict[str, pq.ParquetWriter] = {}
    rows: dict[str, int] = {}
    try:
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


def write_table_pieces(
    pieces: Iterable[tuple[str, pd.DataFrame]],
    out_dir: Path,
    layouts: Mapping[str, TableLayout],
    cuts: Mapping[str, pd.Timestamp] | None = None,
) -> dict[str, int]:
    """Write each ``(table, rows)`` piece to the month files of ``out_dir/<table>.parquet/``;
    returns rows per table.

    Without a cut, pieces are written as they come (memory holds one piece) into a staging folder
    that replaces the table once every piece is written. A table with a cut in ``cuts`` keeps its
    stored rows before the cut: only the month files from the cut's month on are rewritten, as
    their kept rows with the pieces (the recomputed rows) merged in stored order (``merge_tail``).
    """
    cuts = cuts or {}
    staging = out_dir.parent / f".{out_dir.name}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    writers: dict[tuple[str, str], pq.ParquetWriter] = {}
    schemas = {name: pq.read_schema(next(table_path(out_dir, name).glob("part-*.parquet"))) for name in cuts}
    held: dict[str, list[pd.DataFrame]] = {name: [] for name in cuts}
    try:
        for name, frame in pieces:
            if name in held:
                held[name].append(frame)
                continue
            schemas.setdefault(name, pa.Schema.from_pandas(frame, preserve_index=False))
            for month, rows in _by_month(frame, layouts[name].day):
                if (name, month) not in writers:
                    folder = table_path(staging, name)
                    folder.mkdir(exist_ok=True)
                    writers[name, month] = pq.ParquetWriter(_month_file(folder, month), schemas[name])
                writers[name, month].write_table(pa.Table.from_pandas(rows, schema=schemas[name], preserve_index=False))
    finally:
        for writer in writers.values():
            writer.close()
    for name in schemas.keys() - cuts.keys() - {name for name, _ in writers}:  # no rows: an empty table
        table_path(staging, name).mkdir()
        pq.write_table(schemas[name].empty_table(), _month_file(table_path(staging, name), EMPTY))
    for name, cut in cuts.items():
        _rewrite_tail(name, out_dir, staging, held.pop(name), layouts[name], cut, schemas[name])
    out_dir.mkdir(parents=True, exist_ok=True)
    for folder in staging.iterdir():
        target = out_dir / folder.name
        if folder.name in {table_path(out_dir, name).name for name in cuts}:
            for path in folder.iterdir():
                path.replace(target / path.name)
            folder.rmdir()
            if len(list(target.glob("part-*.parquet"))) > 1:
                _month_file(target, EMPTY).unlink(missing_ok=True)
            continue
        if target.is_dir():
            shutil.rmtree(target)
        target.unlink(missing_ok=True)
        folder.replace(target)
    staging.rmdir()
    return {
        name: sum(pq.read_metadata(path).num_rows for path in table_path(out_dir, name).glob("part-*.parquet"))
        for name in layouts
        if table_path(out_dir, name).exists()
    }


def _rewrite_tail(
    name: str,
    out_dir: Path,
    staging: Path,
    new: list[pd.DataFrame],
    layout: TableLayout,
    cut: pd.Timestamp,
    schema: pa.Schema,
) -> None:
    """Stage the month files of ``name`` from ``cut``'s month on: kept stored rows plus ``new``."""
    stored, folder = table_path(out_dir, name), table_path(staging, name)
    folder.mkdir()
    rows = pd.concat(new, ignore_index=True) if new else pd.DataFrame()
    fresh = dict(_by_month(rows, layout.day)) if len(rows) else {}
    first = str(_month(pd.Series([cut]))[0])
    months = {path.stem.removeprefix("part-") for path in stored.glob("part-*.parquet")} - {EMPTY}
    for month in sorted({m for m in months if m >= first} | set(fresh)):
        old = _month_file(stored, month)
        kept = pq.read_table(old, schema=schema) if old.exists() else schema.empty_table()
        added = (
            pa.Table.from_pandas(fresh[month], schema=schema, preserve_index=False)
            if month in fresh
            else schema.empty_table()
        )
        pq.write_table(merge_tail(kept, added, layout, cut), _month_file(folder, month))


def _month(days: pd.Series) -> np.ndarray:
    """The month of each value, as ``datetime64[M]`` (timezone-aware values in UTC); ``str`` of
    one is its ``YYYY-MM``."""
    values = pd.to_datetime(days)
    if values.dt.tz is not None:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values.to_numpy().astype("datetime64[M]")


def _by_month(frame: pd.DataFrame, day: str) -> list[tuple[str, pd.DataFrame]]:
    """``frame``'s rows per month of ``day`` (``YYYY-MM``), each month's rows in their order in ``frame``."""
    months = _month(frame[day])
    names, codes = np.unique(months, return_inverse=True)
    names = [str(name) for name in names]
    if len(names) == 1:
        return [(names[0], frame)]
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    return [(m, frame.iloc[order[bounds[i] : bounds[i + 1]]]) for i, m in enumerate(names)]


# The file name part of a table without rows (sorts after every month).
EMPTY = "empty"


def _month_file(folder: Path, month: str) -> Path:
    return folder / f"part-{month}.parquet"


def merge_tail(stored: pa.Table, new: pa.Table, layout: TableLayout, cut: pd.Timestamp) -> pa.Table:
    """``stored`` rows before ``cut`` with ``new`` rows, both in ``layout.order``, merged series
    by series: a series' kept rows then its new ones, taken in one pass (a table of one chunk per column)."""
    keys = list(layout.order[: layout.order.index(layout.day)])
    bound = pa.scalar(cut, stored.schema.field(layout.day).type)
    kept = pc.less(stored[layout.day], bound).to_numpy(zero_copy_only=False)
    s_start, s_length, s_keys = _runs(stored, keys)
    s_kept = np.add.reduceat(kept, s_start) if len(kept) else s_start
    later_kept = kept[1:] & ~kept[:-1]
    if len(kept) and (later_kept & ~np.isin(np.arange(1, len(kept)), s_start)).any():
        raise ValueError(f"stored rows are not in the order {layout.order}: rebuild with --force")
    n_start, n_length, n_keys = _runs(new, keys)
    starts: list[int] = []  # runs of rows of ``stored`` then ``new`` (offset by the stored rows), in order
    lengths: list[int] = []
    i = j = 0
    while i < len(s_keys) or j < len(n_keys):
        take_stored = j == len(n_keys) or (i < len(s_keys) and s_keys[i] <= n_keys[j])
        take_new = i == len(s_keys) or (j < len(n_keys) and n_keys[j] <= s_keys[i])
        if take_stored:
            starts.append(int(s_start[i]))
            lengths.append(int(s_kept[i]))
            i += 1
        if take_new:
            starts.append(stored.num_rows + int(n_start[j]))
            lengths.append(int(n_length[j]))
            j += 1
    run_starts, run_lengths = np.array(starts, dtype=np.int64), np.array(lengths, dtype=np.int64)
    first_of_run = np.repeat(np.cumsum(run_lengths) - run_lengths, run_lengths)
    rows = np.arange(run_lengths.sum()) - first_of_run + np.repeat(run_starts, run_lengths)
    return pa.concat_tables([stored, new]).take(pa.array(rows))


def _runs(table: pa.Table, keys: list[str]) -> tuple[np.ndarray, np.ndarray, list[tuple]]:
    """First row, length and key values of each run of equal ``keys`` (one run without keys)."""
    n = table.num_rows
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), []
    columns = [table[k].to_numpy(zero_copy_only=False) for k in keys]
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for values in columns:
        change[1:] |= values[1:] != values[:-1]
    start = np.flatnonzero(change)
    length = np.diff(np.append(start, n))
    return start, length, list(zip(*(values[start] for values in columns), strict=True)) or [()] * len(start)
