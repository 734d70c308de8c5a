"""Stock positions and open purchase orders as of the serving date, with ETA quantiles per PO.

Read once at start-up from the canonical tables (``settings.canonical_dir``): the latest inventory
snapshot per SKU-location on or before the as-of date, the PO lines placed by then and not yet
received, and the supplier's latest advance shipping notice (ASN) per PO. The ``lead_time``
champion turns each open PO into delay quantiles (days after ``promised_date``), the frame
``decisions.promise_dates`` works on, so promise dates use the ETA distribution, not the quote.
Without a champion, each PO gets its supplier's delay quantiles over the lines received by the
as-of date (``SupplierDelayQuantiles``, the baseline a champion has to beat); without any received
line, its promised date.

An ASN is the supplier's own, more recent word: when one was received by the as-of date, the
delay median moves to the announced date and the P10-P90 band is widened to include it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from contracts.keys import DAY, SKU_LOCATION
from decisions import SupplyRows
from live.canonical import STOCK_COLUMNS, latest_asn_eta, latest_stock, open_purchase_orders


def with_delay_quantiles(
    open_pos: pd.DataFrame, delays: pd.DataFrame, asn_eta: pd.Series | None = None
) -> pd.DataFrame:
    """Add ``delay_p10/p50/p90`` (row-aligned ``delays`` with p10, p50, p90) and ``asn_eta``.

    Quantiles are only sorted (early arrivals are real, so no floor at 0); an ASN moves the median
    to its announced date and widens the band to include it.
    """
    eta = (asn_eta if asn_eta is not None else pd.Series(dtype="datetime64[ns]")).reindex(open_pos["po_id"])
    announced = ((eta.to_numpy("datetime64[ns]") - open_pos["promised_date"].to_numpy("datetime64[ns]")) / DAY)
    q = announced_delays(delays[["p10", "p50", "p90"]].to_numpy(dtype="float64"), announced.astype("float64"))
    return open_pos.assign(delay_p10=q[:, 0], delay_p50=q[:, 1], delay_p90=q[:, 2], asn_eta=eta.to_numpy())


def announced_delays(quantiles: np.ndarray, announced: np.ndarray) -> np.ndarray:
    """Delay quantiles (rows p10, p50, p90; sorted, no floor at 0) with each ASN's announced delay
    (days after the promised date, NaN without an ASN) as the median, the band widened to it."""
    q = np.sort(quantiles, axis=1)
    has = ~np.isnan(announced)
    q[has, 1] = announced[has]
    q[has, 0] = np.minimum(q[has, 0], announced[has])
    q[has, 2] = np.maximum(q[has, 2], announced[has])
    return q


@dataclass
class FrameSupply:
    """Stock positions and open POs held in memory, looked up by SKU (``SupplySource``).

    The frames are indexed once, here: a request then costs one gather per array, not a pandas
    selection. A SKU-location listed twice in ``stock`` keeps its first row. ``inbound`` holds
    ``po_id, sku_id, location_id, quantity, promised_date, delay_p10/p50/p90``.
    """

    stock: pd.DataFrame
    inbound: pd.DataFrame

    def __post_init__(self) -> None:
        self.stock = self.stock.drop_duplicates(SKU_LOCATION)
        self._stock_rows = _positions(self.stock["sku_id"])
        self._inbound_rows = _positions(self.inbound["sku_id"])
        self._rows = SupplyRows.from_frames(self.stock, self.inbound)

    @property
    def locations(self) -> frozenset[str]:
        """The locations that hold stock positions (a request's location outside them is unknown)."""
        return frozenset(self.stock["location_id"])

    def supply(self, sku_ids: Sequence[str]) -> SupplyRows:
        """The stock and open POs of ``sku_ids`` (unknown SKUs have none)."""
        return self._rows.take(_gather(self._stock_rows, sku_ids), _gather(self._inbound_rows, sku_ids))


@dataclass
class CanonicalSupply(FrameSupply):
    """``FrameSupply`` over the canonical tables as of the serving date (``load_canonical_supply``);
    ``delay_model`` predicted the POs' delay quantiles (None: the promised dates), as
    ``delay_source`` says."""

    as_of: pd.Timestamp | None = None
    delay_model: Any | None = None
    delay_source: str = "promised dates"


def _positions(keys: pd.Series) -> dict[Any, np.ndarray]:
    return {k: np.asarray(v) for k, v in keys.groupby(keys, sort=False).indices.items()}


def _gather(rows: dict[Any, np.ndarray], keys: Sequence[str]) -> np.ndarray:
    parts = [rows[k] for k in dict.fromkeys(keys) if k in rows]
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.intp)


def load_canonical_supply(
    canonical_dir: Path, as_of: pd.Timestamp, lead_time_model: Any | None
) -> CanonicalSupply:
    """Stock, open POs and their delay quantiles as of ``as_of``.

    ``lead_time_model.predict(open_lines)`` returns row-aligned ``p10, p50, p90`` delay days (the
    registered ``LeadTimeForecaster``); without it, ``po_delay_model`` stands in.
    """
    snapshots = pd.read_parquet(canonical_dir / "inventory_snapshots.parquet", columns=STOCK_COLUMNS)
    purchase_orders = pd.read_parquet(canonical_dir / "purchase_orders.parquet")
    stock = latest_stock(snapshots, as_of)
    open_pos = open_purchase_orders(purchase_orders, as_of)
    model, source = po_delay_model(lead_time_model, purchase_orders, as_of)
    skus_file = canonical_dir / "skus.parquet"
    skus = pd.read_parquet(skus_file, columns=["sku_id", "category"]) if skus_file.exists() else None
    delays = predict_po_delays(model, open_pos, skus)
    asn_file = canonical_dir / "asn_events.parquet"
    asn = latest_asn_eta(pd.read_parquet(asn_file), as_of) if asn_file.exists() else None
    inbound = with_delay_quantiles(open_pos, delays, asn)
    return CanonicalSupply(stock=stock, inbound=inbound, as_of=as_of, delay_model=model, delay_source=source)


def predict_po_delays(model: Any | None, open_pos: pd.DataFrame, skus: pd.DataFrame | None) -> pd.DataFrame:
    """Row-aligned ``p10, p50, p90`` delay days of ``open_pos`` from ``model`` (``po_delay_model``),
    given the SKU ``category`` the lead-time model reads (``skus``: sku_id, category); zeros, the
    promised dates, without a model."""
    if model is None or open_pos.empty:
        zeros = np.zeros(len(open_pos))
        return pd.DataFrame({"p10": zeros, "p50": zeros, "p90": zeros})
    inputs = open_pos if skus is None else open_pos.merge(skus[["sku_id", "category"]], on="sku_id", how="left")
    if "is_expedited" in inputs:
        inputs = inputs.assign(is_expedited=inputs["is_expedited"].astype("float64"))
    return model.predict(inputs).reset_index(drop=True)


def po_delay_model(
    lead_time_model: Any | None, purchase_orders: pd.DataFrame, as_of: pd.Timestamp
) -> tuple[Any | None, str]:
    """The model that gives open POs their delay quantiles, and what it is: the ``lead_time``
    champion; else the supplier delay quantiles of the lines received by ``as_of``; else None
    (no line received yet: POs are expected on their promised date)."""
    if lead_time_model is not None:
        return lead_time_model, "lead_time champion"
    from training.lead_time.baselines import SupplierDelayQuantiles
    from training.recipes import LEAD_TIME_SPEC

    try:
        fallback = SupplierDelayQuantiles(LEAD_TIME_SPEC, as_of).fit(purchase_orders)
    except ValueError:
        return None, "promised dates (no lead_time champion, no PO line received yet)"
    received = f"{fallback.lines_:,} PO lines received by {as_of.date()}"
    return fallback, f"supplier delay quantiles of {received} (no lead_time champion)"


def fallback_name(supply: CanonicalSupply) -> str:
    """How an ETA names the delays of ``supply`` made without a ``lead_time`` champion."""
    return "supplier_delay_quantiles" if supply.delay_model is not None else "promised_dates"


def last_snapshot_date(canonical_dir: Path) -> pd.Timestamp | None:
    """The last inventory snapshot date of the canonical tables (None without them)."""
    path = canonical_dir / "inventory_snapshots.parquet"
    if not path.exists():
        return None
    dates = pd.read_parquet(path, columns=["snapshot_date"])["snapshot_date"]
    return pd.Timestamp(pd.to_datetime(dates).max()).normalize() if len(dates) else None
