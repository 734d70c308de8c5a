"""Tables an export may hold in place of some columns of a canonical table (``SUMMED_TABLES``: a PO
line's goods receipts, one row per delivery), summed onto that table's rows at ingest.

The summed table is validated like any other (its bad rows quarantined with their reasons), then
its accepted rows are totalled per row of the canonical table it completes. Its rows are kept
beside the canonical tables (``_po_receipts.parquet``) for the inventory rebuild, which books
each delivery on its own day. The canonical table's own files must then leave those columns
out: two sources for one value would make the ingest choose between them.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from contracts.errors import ContractError
from contracts.export_description import ExportDescription
from contracts.export_files import TableExport
from contracts.export_tables import PO_RECEIPTS, SUMMED_TABLES
from contracts.file_layout import FileLayout


def check_summed_exports(
    exports: dict[str, TableExport], layouts: dict[str, list[FileLayout]], description: ExportDescription
) -> None:
    """A ContractError when a summed table is exported without the table it is summed onto, or beside
    files of that table that give the summed columns themselves."""
    for name, summed in SUMMED_TABLES.items():
        if name not in exports:
            continue
        if summed.onto not in exports:
            raise ContractError(
                f"{exports[name].name}: {name} is summed onto {summed.onto}, and no file holds {summed.onto}"
            )
        onto = exports[summed.onto]
        for path, layout in zip(onto.files, layouts[summed.onto], strict=True):
            given = [*layout.mapping.values(), *layout.combined, *description.defaults.get(summed.onto, {})]
            both = [column for column in summed.totals if column in given]
            if both:
                raise ContractError(
                    f"{onto.label(path)}: has {', '.join(both)}, which {exports[name].name} gives by summing its "
                    f"rows; leave the column(s) out of one of them"
                )


def sum_onto(name: str, canonical_dir: Path) -> int:
    """Total the rows of summed table ``name`` written in ``canonical_dir`` onto the rows of the table
    it completes there, and keep them in its ``rows_file``; the number of rows that took totals."""
    summed = SUMMED_TABLES[name]
    by = list(summed.by)
    source, target_path = canonical_dir / f"{name}.parquet", canonical_dir / f"{summed.onto}.parquet"
    totals = pd.read_parquet(source, columns=[*by, *summed.totals]).groupby(by).agg(summed.totals)
    target = pd.read_parquet(target_path)
    positions = totals.index.get_indexer(pd.MultiIndex.from_frame(target[by]) if len(by) > 1 else target[by[0]])
    found = positions >= 0
    for column in summed.totals:
        target.loc[found, column] = totals[column].to_numpy()[positions[found]]
    schema = pq.read_schema(target_path)
    pq.write_table(pa.Table.from_pandas(target, schema=schema, preserve_index=False), target_path)
    source.rename(canonical_dir / summed.rows_file)
    return int(found.sum())


def published_files(exported: Collection[str]) -> tuple[set[str], set[str]]:
    """The rows files an ingest of the ``exported`` tables publishes, and those it makes stale: the
    rows kept for a table it sums, or for one it no longer sums onto a table it publishes again."""
    kept = {summed.rows_file for name, summed in SUMMED_TABLES.items() if name in exported}
    stale = {summed.rows_file for summed in SUMMED_TABLES.values() if summed.onto in exported} - kept
    return kept, stale


def po_deliveries(canonical_dir: Path) -> pd.DataFrame | None:
    """The goods receipts, one per delivery, the last ingest kept beside the canonical tables (None
    when the PO lines carried their own receipt)."""
    path = canonical_dir / SUMMED_TABLES[PO_RECEIPTS.name].rows_file
    return pd.read_parquet(path, columns=["po_id", "received_date", "received_quantity"]) if path.exists() else None
