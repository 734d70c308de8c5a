"""Whether a world's data can train each model, measured against ``recipes.DATA_MINIMUMS``.

Pure: canonical tables in, a ``Readiness`` out. ``backorder check`` prints it, ``backorder run``
trains only what it allows, and every train step refuses with ``NotEnoughData`` by the same rule
before reading features or fitting anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from contracts.errors import ContractError
from contracts.optional_inputs import data_support
from contracts.tables import CANONICAL_TABLES
from features.demand import order_demand
from features.labels import order_line_labels
from training.recipes import DATA_MINIMUMS, DataMinimum

# The canonical tables each model's readiness is measured on.
MEASURED_TABLES: dict[str, tuple[str, ...]] = {
    "backorder_risk": ("inventory_snapshots", "order_lines", "orders"),
    "sku_location_risk": ("inventory_snapshots",),
    "demand": ("inventory_snapshots", "order_lines", "orders"),
    "lead_time": ("purchase_orders",),
}


class NotEnoughData(ContractError):
    """The data is below a model's declared minimum; the message names the model and the shortfall."""


@dataclass(frozen=True)
class TableSpan:
    """Rows of a canonical table and the first and last day of its dates (None when it has none)."""

    table: str
    rows: int
    first_day: str | None
    last_day: str | None


@dataclass(frozen=True)
class Measured:
    """What the data holds, in the units of ``DataMinimum``."""

    history_days: int
    positives: int
    suppliers_with_receipts: int


@dataclass(frozen=True)
class ModelReadiness:
    """One model: whether it can be trained, what it needs, what the data has, what is short."""

    model: str
    needs: DataMinimum
    has: Measured
    shortfall: tuple[str, ...]

    @property
    def can_train(self) -> bool:
        return not self.shortfall

    def describe(self) -> str:
        if self.can_train:
            has = self.has
            return f"{self.model}: can train ({has.history_days} days, {has.positives:,} {self.needs.positive})"
        return f"{self.model}: cannot train: {'; '.join(self.shortfall)}"


@dataclass(frozen=True)
class Readiness:
    """Per table rows and span, per model whether it can train, and what the data supports."""

    tables: tuple[TableSpan, ...]
    models: tuple[ModelReadiness, ...]
    supports: tuple[str, ...]

    @property
    def trainable(self) -> list[str]:
        return [m.model for m in self.models if m.can_train]

    def model(self, name: str) -> ModelReadiness:
        return next(m for m in self.models if m.model == name)


def table_span(name: str, frame: pd.DataFrame) -> TableSpan:
    """Rows and date span of one canonical table."""
    dates = [c.name for c in CANONICAL_TABLES[name].columns if c.kind in ("date", "datetime") and c.name in frame]
    values = pd.concat([pd.to_datetime(frame[c]) for c in dates]).dropna() if dates else pd.Series(dtype="M8[ns]")
    if values.empty:
        return TableSpan(name, len(frame), None, None)
    return TableSpan(name, len(frame), values.min().date().isoformat(), values.max().date().isoformat())


def _history_days(tables: Mapping[str, pd.DataFrame], history: str) -> int:
    table, column = history.split(".")
    days = pd.to_datetime(tables[table][column]).dropna()
    return int((days.max() - days.min()).days) + 1 if len(days) else 0


def _positives(model: str, tables: Mapping[str, pd.DataFrame]) -> int:
    if model == "backorder_risk":
        lines = order_demand(tables["order_lines"], tables["orders"])
        if lines.empty:
            return 0
        labels = order_line_labels(lines, pd.Timestamp(tables["inventory_snapshots"]["snapshot_date"].max()))
        return int(((labels["label"] > 0) & labels["label_complete"]).sum())
    if model == "sku_location_risk":
        return int((tables["inventory_snapshots"]["backordered"] > 0).sum())
    if model == "demand":
        lines = order_demand(tables["order_lines"], tables["orders"])
        return int(len(lines[["sku_id", "location_id", "order_date"]].drop_duplicates()))
    return int(tables["purchase_orders"]["received_date"].notna().sum())


def _suppliers_with_receipts(tables: Mapping[str, pd.DataFrame]) -> int:
    if "purchase_orders" not in tables:
        return 0
    pos = tables["purchase_orders"]
    return int(pos.loc[pos["received_date"].notna(), "supplier_id"].nunique())


def model_readiness(model: str, tables: Mapping[str, pd.DataFrame]) -> ModelReadiness:
    """Measure ``tables`` (at least ``MEASURED_TABLES[model]``) against the model's minimum."""
    needs = DATA_MINIMUMS[model]
    absent = [t for t in MEASURED_TABLES[model] if t not in tables or tables[t].empty]
    if absent:
        has = Measured(0, 0, 0)
        return ModelReadiness(model, needs, has, (f"no rows in {', '.join(absent)}",))
    has = Measured(_history_days(tables, needs.history), _positives(model, tables), _suppliers_with_receipts(tables))
    shortfall = []
    if has.history_days < needs.history_days:
        shortfall.append(f"{has.history_days} days of {needs.history}, needs {needs.history_days}")
    if has.positives < needs.positives:
        shortfall.append(f"{has.positives} {needs.positive}, needs {needs.positives}")
    if has.suppliers_with_receipts < needs.suppliers_with_receipts:
        shortfall.append(
            f"{has.suppliers_with_receipts} supplier(s) with receipts, needs {needs.suppliers_with_receipts}"
        )
    return ModelReadiness(model, needs, has, tuple(shortfall))


def readiness(tables: Mapping[str, pd.DataFrame]) -> Readiness:
    """Rows and spans of every table in ``tables`` and the readiness of every world model."""
    return Readiness(
        tables=tuple(table_span(name, frame) for name, frame in tables.items()),
        models=tuple(model_readiness(model, tables) for model in DATA_MINIMUMS),
        supports=tuple(data_support(tables)),
    )


def require_ready(model: str, tables: Mapping[str, pd.DataFrame]) -> ModelReadiness:
    """The model's readiness; ``NotEnoughData`` naming the model and the shortfall when it cannot train."""
    ready = model_readiness(model, tables)
    if not ready.can_train:
        raise NotEnoughData(f"not enough data to train {model}: {'; '.join(ready.shortfall)}")
    return ready
