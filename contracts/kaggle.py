"""Importer for the public Kaggle "Can you predict product backorders?" export.

The Kaggle files are a one-row-per-SKU ERP snapshot with "Yes"/"No" flags, ``-99`` sentinels for
a missing supplier performance, missing ``lead_time`` values and, in the original CSV, a footer
line such as ``(1687860 rows)`` whose other cells are empty. ``read_kaggle`` turns a CSV or
Parquet copy into the typed SKU-snapshot table declared by ``KAGGLE_SCHEMA`` so that feature and
training code never sees the raw encodings.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from contracts.errors import ContractError
from contracts.headers import header_mapping

QUANTITY_COLUMNS: tuple[str, ...] = (
    "national_inv",
    "lead_time",
    "in_transit_qty",
    "forecast_3_month",
    "forecast_6_month",
    "forecast_9_month",
    "sales_1_month",
    "sales_3_month",
    "sales_6_month",
    "sales_9_month",
    "min_bank",
    "pieces_past_due",
    "perf_6_month_avg",
    "perf_12_month_avg",
    "local_bo_qty",
)
FLAG_COLUMNS: tuple[str, ...] = (
    "potential_issue",
    "deck_risk",
    "oe_constraint",
    "ppap_risk",
    "stop_auto_buy",
    "rev_stop",
)
LABEL = "went_on_backorder"
SKU = "sku"
REQUIRED_COLUMNS: tuple[str, ...] = QUANTITY_COLUMNS + FLAG_COLUMNS
# Supplier performance uses -99 for "no history"; it is a missing value, not a score.
SENTINEL_COLUMNS: tuple[str, ...] = ("perf_6_month_avg", "perf_12_month_avg")
SENTINEL = -99.0
# Missing values exist in the source for these only; elsewhere a blank cell is a broken export.
NULLABLE_QUANTITIES = frozenset({"lead_time", *SENTINEL_COLUMNS})

_TRUE = frozenset({"yes", "y", "true", "t", "1", "1.0"})
_FALSE = frozenset({"no", "n", "false", "f", "0", "0.0"})

KAGGLE_SCHEMA = pa.DataFrameSchema(
    {
        SKU: pa.Column(object, nullable=False, required=False, description="SKU identifier"),
        **{
            name: pa.Column(
                "float64",
                nullable=name in NULLABLE_QUANTITIES,
                checks=[pa.Check.in_range(0.0, 1.0)] if name in SENTINEL_COLUMNS else [],
            )
            for name in QUANTITY_COLUMNS
        },
        **{name: pa.Column(bool, nullable=False) for name in FLAG_COLUMNS},
        LABEL: pa.Column(bool, nullable=False, required=False),
    },
    strict=True,
    ordered=False,
    name="kaggle_sku_snapshot",
)


def read_kaggle(path: Path) -> pd.DataFrame:
    """Read a Kaggle-schema CSV or Parquet file into the typed SKU-snapshot table."""
    path = Path(path)
    if not path.exists():
        raise ContractError(f"{path}: file does not exist")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".gz") or path.name.lower().endswith(".csv.gz"):
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    elif suffix in (".parquet", ".pq"):
        raw = pd.read_parquet(path)
    else:
        raise ContractError(f"{path.name}: expected a .csv or .parquet file")
    try:
        return to_kaggle_table(raw)
    except ContractError as error:
        raise ContractError(f"{path.name}: {error}") from error


def to_kaggle_table(raw: pd.DataFrame) -> pd.DataFrame:
    """Type a raw Kaggle-schema frame: flags to bool, sentinels to NaN, quantities to float.

    Headers match case-, space- and underscore-insensitively; unknown columns are dropped. The
    row order is kept and the index is reset to 0..n-1 (footer lines removed).
    """
    if raw.shape[1] == 0:
        raise ContractError("the table has no columns")
    mapping = header_mapping(raw.columns, (SKU, *REQUIRED_COLUMNS, LABEL))
    missing = [name for name in REQUIRED_COLUMNS if name not in mapping.values()]
    if missing:
        raise ContractError(f"missing required column(s) {', '.join(missing)}")
    frame = _drop_footer(raw).loc[:, list(mapping)].rename(columns=mapping)
    frame = frame.reset_index(drop=True)
    typed = pd.DataFrame(index=frame.index)
    if SKU in frame:
        typed[SKU] = frame[SKU].astype(str)
    for name in QUANTITY_COLUMNS:
        typed[name] = _to_number(frame[name], name)
    for name in SENTINEL_COLUMNS:
        typed[name] = typed[name].mask(typed[name] == SENTINEL)
    for name in FLAG_COLUMNS:
        typed[name] = _to_flag(frame[name], name)
    if LABEL in frame:
        typed[LABEL] = _to_flag(frame[LABEL], LABEL)
    try:
        return KAGGLE_SCHEMA.validate(typed)
    except pa.errors.SchemaError as error:
        raise ContractError(f"column {error.schema.name}: {error}") from error


def _drop_footer(raw: pd.DataFrame) -> pd.DataFrame:
    """Drop summary lines like "(1687860 rows)": every cell after the first one is empty."""
    if raw.shape[1] < 2:
        return raw
    return raw.loc[~raw.iloc[:, 1:].isna().all(axis=1)]


def _to_number(values: pd.Series, name: str) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = numbers.isna() & values.notna()
    if bad.any():
        row = bad.to_numpy().nonzero()[0][0]
        raise ContractError(f"column {name}: {values.iloc[row]!r} at row {row} is not a number")
    if name not in NULLABLE_QUANTITIES and numbers.isna().any():
        row = numbers.isna().to_numpy().nonzero()[0][0]
        raise ContractError(f"column {name}: missing value at row {row}")
    return numbers


def _to_flag(values: pd.Series, name: str) -> pd.Series:
    if values.dtype == bool:
        return values
    text = values.astype(str).str.strip().str.lower()
    is_true = text.isin(_TRUE).to_numpy()
    is_false = text.isin(_FALSE).to_numpy()
    bad = ~(is_true | is_false)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ContractError(
            f"column {name}: {values.iloc[row]!r} at row {row} is not a Yes/No flag"
        )
    return pd.Series(is_true, index=values.index, name=name)
