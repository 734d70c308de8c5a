"""The scoring backend: order lines in, probabilities, reasons, promise dates and actions out.

A ``Scorer`` is assembled from three plain components so the service never depends on where they
come from: a risk model with ``predict_proba(frame)`` (the registry's champion), a feature reader
(``read(entity_rows) -> frame``, e.g. ``features.feature_store.OnlineReader`` or
``FrameFeatureReader``) and a decide function (``serving.actions.ActionPlanner`` by default) that
takes a request's columns as arrays and returns the action columns as arrays.
Request-time features come from ``features.order_line.request_features``, the function training
used, so online and offline inputs cannot drift apart.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from features.order_line import request_features

LINE_COLUMNS = ["order_id", "line_id", "sku_id", "location_id", "quantity", "requested_date"]


class FeatureReader(Protocol):
    feature_names: list[str]

    def read(self, entity_rows: pd.DataFrame) -> pd.DataFrame: ...


class FeatureStoreUnavailable(RuntimeError):
    """The online store could not be read; the service answers 503 (docs/serving.md)."""


class InvalidLines(ValueError):
    """Lines the models cannot score, as (field, problem) pairs for a 422 answer."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {p}" for f, p in errors))
        self.errors = errors


@dataclass
class Scorer:
    """Scores a frame of order lines with one risk model version.

    ``thresholds`` split probabilities into low / medium / high risk; ``n_reasons`` is how many of
    the largest positive feature contributions are reported per line.
    """

    risk_model: Any
    reader: FeatureReader
    decide: Callable[[Mapping[str, np.ndarray]], Mapping[str, np.ndarray]]
    model_version: str
    feature_names: Sequence[str] | None = None
    thresholds: tuple[float, float] = (0.2, 0.5)
    n_reasons: int = 3
    # After a failed online read, answer 503 at once for this many seconds instead of waiting on
    # the store's connection retries for every request (a Redis client retried for 5.5 s).
    store_retry_seconds: float = 5.0
    _names: list[str] = field(init=False, repr=False)
    _store_down_until: float = field(default=0.0, init=False, repr=False)
    _explainer: ThreadPoolExecutor = field(init=False, repr=False)

    def __post_init__(self) -> None:
        names = self.feature_names
        if names is None:
            names = getattr(self.risk_model, "feature_names_in_", None)
        if names is None:
            raise ValueError("feature_names: not given and the model has no feature_names_in_")
        self._names = [str(n) for n in names]
        # Threads start on first submit; more than one per core would only queue.
        self._explainer = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="treeshap")

    def features(self, lines: pd.DataFrame, request_time: pd.Timestamp) -> pd.DataFrame:
        """Online plus request-time features per line (row-aligned with ``lines``)."""
        wait = self._store_down_until - time.monotonic()
        if wait > 0:
            raise FeatureStoreUnavailable(
                f"online feature store unreachable at the last attempt; next attempt in {wait:.1f} s"
            )
        try:
            online = self.reader.read(lines[["sku_id", "location_id"]])
        except Exception as exc:  # any store failure (connection, timeout, corrupt file) alike
            self._store_down_until = time.monotonic() + self.store_retry_seconds
            raise FeatureStoreUnavailable(f"online feature store unreachable: {exc}") from exc
        online_values = online.to_numpy(dtype="float64")
        unknown = np.isnan(online_values).all(axis=1)
        if unknown.any():
            positions = np.flatnonzero(unknown)
            raise InvalidLines(
                [
                    (
                        f"{lines['_path'].iat[i]}.sku_id",
                        f"unknown SKU {lines['sku_id'].iat[i]!r} at location "
                        f"{lines['location_id'].iat[i]!r} (no features in the online store)",
                    )
                    for i in positions
                ]
            )
        request = request_features(_requests(lines, request_time), online)
        # One float block (not a concat of two frames): selecting the model's columns is then cheap.
        frame = pd.DataFrame(
            np.hstack([online_values, request.to_numpy(dtype="float64")]),
            columns=online.columns.append(request.columns),
            index=lines.index,
        )
        missing = [n for n in self._names if n not in frame.columns]
        if missing:
            raise RuntimeError(f"model expects feature(s) {missing} that serving does not build")
        return frame

    def score(self, lines: pd.DataFrame, request_time: pd.Timestamp) -> dict[str, Any]:
        """``lines``' columns (LINE_COLUMNS, customer_tier, ``_path``) with features and decisions
        added, as arrays or lists aligned with its rows (a frame would cost more than it serves).

        TreeSHAP for the reasons is the model's costliest step and LightGBM runs it without
        holding the GIL, so it runs on helper threads (one job per booster of an ensemble) while
        this one decides the actions.
        """
        feats = self.features(lines, request_time)
        model_input = feats[self._names]
        pending = [self._explainer.submit(task) for task in contribution_tasks(self.risk_model, model_input)]
        try:
            proba = np.asarray(self.risk_model.predict_proba(model_input))[:, 1]
            low, high = self.thresholds
            level = np.where(proba >= high, "high", np.where(proba >= low, "medium", "low"))
            # Built from arrays once, here and below: assign / setitem / concat cost more per column.
            columns = {c: lines[c].to_numpy() for c in lines.columns}
            columns |= {"backorder_probability": proba, "risk_level": level, "available": feats["available"].to_numpy()}
            decided = self.decide(columns)
        finally:
            parts = [job.result() for job in pending]  # also when deciding failed: none outlives the request
        parts = [part for part in parts if part is not None]  # None: the model cannot explain
        contrib = np.mean(parts, axis=0) if parts else None
        values = model_input.to_numpy(dtype="float64")  # once, for the reasons and the log records
        columns["reasons"] = self._reasons(values, contrib)
        names = self._names  # per-line records for the log, without DataFrame.to_dict's overhead
        columns["features"] = [dict(zip(names, row, strict=True)) for row in values.tolist()]
        columns |= decided
        return columns

    def _reasons(self, values: np.ndarray, contrib: np.ndarray | None) -> list[list[dict[str, Any]]]:
        """Top positive contributions per line, with the feature's value (``values``: model inputs)."""
        if contrib is None:
            return [[] for _ in range(len(values))]
        contrib = contrib[:, : len(self._names)]  # drop the bias column
        k = min(self.n_reasons, contrib.shape[1])
        top = np.argsort(-contrib, axis=1)[:, :k]
        out = []
        for row, cols in enumerate(top):
            out.append(
                [
                    {
                        "feature": self._names[c],
                        "value": None if np.isnan(values[row, c]) else float(values[row, c]),
                        "contribution": float(contrib[row, c]),
                    }
                    for c in cols
                    if contrib[row, c] > 0
                ]
            )
        return out


def _requests(lines: pd.DataFrame, request_time: pd.Timestamp) -> pd.DataFrame:
    """The columns ``request_features`` reads, with the request time on every line."""
    return pd.DataFrame(
        {
            "quantity": lines["quantity"].to_numpy(),
            "requested_date": lines["requested_date"].to_numpy(),
            "request_time": np.full(len(lines), pd.Timestamp(request_time).to_datetime64(), dtype="datetime64[ns]"),
            "customer_tier": lines["customer_tier"].to_numpy(),
        },
        index=lines.index,
    )


def contribution_tasks(model: Any, frame: pd.DataFrame) -> list[Callable[[], np.ndarray]]:
    """Jobs whose results average to ``contributions(model, frame)`` (which may be None).

    An ensemble with ``contribution_tasks`` (``BoosterClassifier``) gives one job per booster.
    """
    if hasattr(model, "contribution_tasks"):
        return list(model.contribution_tasks(frame))
    return [functools.partial(contributions, model, frame)]


def contributions(model: Any, frame: pd.DataFrame) -> np.ndarray | None:
    """Per-feature log-odds contributions (TreeSHAP for LightGBM), or None if unsupported.

    Supports the project's ``BoosterClassifier.contributions``, a fitted LightGBM sklearn model
    (``predict(pred_contrib=True)``) and linear models (coefficient times value).
    """
    if hasattr(model, "contributions"):
        return np.asarray(model.contributions(frame))
    if hasattr(model, "booster_"):
        return np.asarray(model.predict(frame, pred_contrib=True))
    coef = getattr(model, "coef_", None)
    if coef is not None:
        return frame.to_numpy(dtype="float64") * np.asarray(coef).reshape(1, -1)
    return None


def lines_frame(orders: Sequence[dict[str, Any]], batch: bool = False) -> pd.DataFrame:
    """Flatten validated orders to one row per line; ``_path`` names each line in error messages."""
    rows = [
        {
            "order_id": order["order_id"],
            "customer_id": order["customer_id"],
            "customer_tier": order["customer_tier"],
            "_path": (f"orders.{o}.lines.{i}" if batch else f"lines.{i}"),
            **line,
        }
        for o, order in enumerate(orders)
        for i, line in enumerate(order["lines"])
    ]
    # Typed column arrays, then one DataFrame: a fraction of DataFrame(rows) plus conversions.
    columns = {column: [row[column] for row in rows] for column in (rows[0] if rows else LINE_COLUMNS)}
    columns["requested_date"] = np.asarray(columns["requested_date"], dtype="datetime64[ns]")
    columns["quantity"] = np.asarray(columns["quantity"], dtype="float64")
    return pd.DataFrame(columns)


class FrameFeatureReader:
    """Online features from a DataFrame keyed by sku_id and location_id (tests, batch replays)."""

    def __init__(self, table: pd.DataFrame) -> None:
        self.table = table.set_index(["sku_id", "location_id"])
        if not self.table.index.is_unique:
            raise ValueError("table: duplicate sku_id/location_id rows")
        self.feature_names = [str(c) for c in self.table.columns]

    def read(self, entity_rows: pd.DataFrame) -> pd.DataFrame:
        keys = pd.MultiIndex.from_frame(entity_rows[["sku_id", "location_id"]])
        out = self.table.reindex(keys).astype("float64")
        out.index = entity_rows.index
        return out
