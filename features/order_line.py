"""Request-time features of an order line: the one implementation used offline and online.

Offline, ``position`` comes from a point-in-time join of the SKU-location features at the order's
``order_time``; online, the service passes the incoming request and the online store's features for
the same SKU-location. Either way the same function turns them into model inputs, so training and
serving cannot drift apart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from contracts.tables import TIERS

REQUEST_COLUMNS = ("quantity", "requested_date", "request_time", "customer_tier")
POSITION_COLUMNS = ("available",)
TIER_INDEX = pd.Index(TIERS)  # a tier's code is its position


def request_feature_names() -> list[str]:
    return [
        "line_quantity",
        "days_until_requested",
        "customer_tier_code",
        "quantity_over_available",
        "shortfall_qty",
        "fits_available",
    ]


def _check(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}")


def _naive(values: pd.Series) -> np.ndarray:
    """Naive or timezone-aware timestamps (aware ones in UTC) as naive datetime64[ns]."""
    stamps = values if values.dtype == "datetime64[ns]" else pd.to_datetime(values)
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_convert(None)
    return stamps.to_numpy("datetime64[ns]")


def days_between(requested: np.ndarray, request_time: np.ndarray) -> np.ndarray:
    """Calendar days from each request's day to its requested day (naive datetime64 arrays)."""
    return (requested.astype("datetime64[D]") - request_time.astype("datetime64[D]")) / np.timedelta64(1, "D")


def request_features(requests: pd.DataFrame, position: pd.DataFrame) -> pd.DataFrame:
    """Features of each request given its SKU-location's stock position at request time.

    ``requests``: ``quantity``, ``requested_date``, ``request_time``, ``customer_tier``;
    ``position``: ``available`` (on hand minus allocated), row-aligned with ``requests``.
    Unknown stock (NaN) gives NaN stock ratios rather than a guess.
    """
    _check(requests, REQUEST_COLUMNS, "requests")
    _check(position, POSITION_COLUMNS, "position")
    if len(requests) != len(position):
        raise ValueError(
            f"requests ({len(requests)} rows) and position ({len(position)}) differ in length"
        )
    columns = request_feature_arrays(
        requests["quantity"].to_numpy(dtype="float64"),
        days_between(_naive(requests["requested_date"]), _naive(requests["request_time"])),
        tier_codes(requests["customer_tier"].to_numpy()),
        position["available"].to_numpy(dtype="float64"),
    )
    return pd.DataFrame(columns, index=requests.index)


def with_request_features(rows: pd.DataFrame) -> pd.DataFrame:
    """Order-line rows that carry their point-in-time position (``available``), with the
    request-time features appended: the training set of the order-line model, on either path."""
    return pd.concat([rows, request_features(rows, rows)], axis=1)


def tier_codes(tiers: np.ndarray) -> np.ndarray:
    """Each customer tier's code (its position in ``TIERS``) as floats, NaN where missing."""
    code = TIER_INDEX.get_indexer(tiers).astype("float64")
    code[code < 0] = np.nan
    unknown = np.isnan(code) & pd.notna(tiers)
    if unknown.any():
        bad = sorted({str(t) for t in tiers[unknown]})
        raise ValueError(f"customer_tier: unknown value(s) {bad}; expected one of {list(TIERS)}")
    return code


def request_feature_arrays(
    quantity: np.ndarray, days_until_requested: np.ndarray, tier_code: np.ndarray, available: np.ndarray
) -> dict[str, np.ndarray]:
    """``request_feature_names()`` as float arrays, from the request's own arrays.

    The arithmetic both paths share: ``request_features`` calls it on a training set's columns
    and the service on a request's arrays (a DataFrame per request cost more than the features).
    """
    available = np.clip(available, 0.0, None)
    return {
        "line_quantity": quantity,
        "days_until_requested": days_until_requested,
        "customer_tier_code": tier_code,
        "quantity_over_available": quantity / np.maximum(available, 1.0),
        "shortfall_qty": np.clip(quantity - available, 0.0, None),
        "fits_available": np.where(np.isnan(available), np.nan, (quantity <= available).astype("float64")),
    }
