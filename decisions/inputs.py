"""Checks on the frames the decision functions receive, so bad input fails early and by name.

The decision layer takes other layers' outputs as plain DataFrames; these checks turn a missing
column, a null, a negative stock or crossed quantiles into an error naming the frame and field,
instead of a silent wrong recommendation further down.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

import numpy as np
import pandas as pd

from contracts.keys import SKU_LOCATION

Kind = Literal["key", "number", "nonneg", "positive", "date", "bool", "text"]

QUANTILE_SUFFIXES = ("p10", "p50", "p90")
SKU_LOCATION_COLUMNS: dict[str, Kind] = dict.fromkeys(SKU_LOCATION, "key")
STOCK_COLUMNS: dict[str, Kind] = {**SKU_LOCATION_COLUMNS, "on_hand": "nonneg", "allocated": "nonneg"}
ORDER_LINE_COLUMNS: dict[str, Kind] = {
    "order_id": "key",
    "line_id": "key",
    **SKU_LOCATION_COLUMNS,
    "quantity": "positive",
}


def require_columns(frame: pd.DataFrame, frame_name: str, columns: Mapping[str, Kind]) -> None:
    """Raise ``ValueError`` if ``frame`` lacks a column of ``columns`` or holds a bad value in it.

    ``key``/``text`` columns must be non-null; ``number`` finite; ``nonneg``/``positive`` finite
    and >= 0 / > 0; ``date`` parseable dates without nulls; ``bool`` booleans without nulls.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{frame_name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{frame_name} is missing column(s) {missing}; it has {list(frame.columns)}"
        )
    for name, kind in columns.items():
        col = frame[name]
        if kind in ("key", "text"):
            _no_nulls(col, frame_name, name)
        elif kind == "date":
            _no_nulls(col, frame_name, name)
            if not pd.api.types.is_datetime64_any_dtype(col):
                raise ValueError(f"{frame_name}.{name} must be a datetime column, got {col.dtype}")
        elif kind == "bool":
            _no_nulls(col, frame_name, name)
            if not pd.api.types.is_bool_dtype(col):
                raise ValueError(f"{frame_name}.{name} must be boolean, got {col.dtype}")
        else:
            _check_number(col, frame_name, name, kind)


def require_ordered_quantiles(frame: pd.DataFrame, frame_name: str, prefix: str) -> None:
    """Require ``{prefix}_p10 <= {prefix}_p50 <= {prefix}_p90``; crossing is an upstream bug."""
    lo, mid, hi = (frame[f"{prefix}_{s}"].to_numpy(float) for s in QUANTILE_SUFFIXES)
    bad = (lo > mid) | (mid > hi)
    if bad.any():
        first = frame.index[np.flatnonzero(bad)[0]]
        raise ValueError(
            f"{frame_name}: {int(bad.sum())} row(s) have crossed quantiles "
            f"({prefix}_p10 <= {prefix}_p50 <= {prefix}_p90 must hold), first at index {first}"
        )


def require_unique(frame: pd.DataFrame, frame_name: str, key: Iterable[str]) -> None:
    """Require ``key`` to identify rows, since duplicates would double-count stock or demand."""
    key = list(key)
    dup = frame.duplicated(key, keep=False)
    if dup.any():
        example = frame.loc[dup, key].iloc[0].to_dict()
        raise ValueError(f"{frame_name}: key {key} is not unique, e.g. {example}")


def quantile_columns(prefix: str) -> dict[str, Kind]:
    """The three quantile columns of a distribution, e.g. ``demand_p10, demand_p50, demand_p90``."""
    return {f"{prefix}_{s}": "number" for s in QUANTILE_SUFFIXES}


def _no_nulls(col: pd.Series, frame_name: str, name: str) -> None:
    n = int(col.isna().sum())
    if n:
        raise ValueError(f"{frame_name}.{name} has {n} null value(s)")


def _check_number(col: pd.Series, frame_name: str, name: str, kind: Kind) -> None:
    if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        raise ValueError(f"{frame_name}.{name} must be numeric, got {col.dtype}")
    values = col.to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise ValueError(
            f"{frame_name}.{name} has {int((~np.isfinite(values)).sum())} null/inf value(s)"
        )
    if kind == "nonneg" and (values < 0).any():
        raise ValueError(f"{frame_name}.{name} must be >= 0; min is {values.min()}")
    if kind == "positive" and (values <= 0).any():
        raise ValueError(f"{frame_name}.{name} must be > 0; min is {values.min()}")
