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

    def read(self, entity_rows: pd.DataFrame) -> pd.DataFrame:
        """Features per row of ``entity_rows`` (which holds ``sku_id``, ``location_id`` and maybe more)."""
        ...


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
    _columns: pd.Index = field(init=False, repr=False)
    # (online and request-time column names, positions of the model's columns among them)
    _take: tuple[tuple[tuple[str, ...], tuple[str, ...]], np.ndarray] | None = field(
        default=None, init=False, repr=False
    )
    _store_down_until: float = field(default=0.0, init=False, repr=False)
    _explainer: ThreadPoolExecutor = field(init=False, repr=False)
    _explain: Callable[[pd.DataFrame], list[Callable[[], np.ndarray | None]]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        names = self.feature_names
        if names is None:
            names = getattr(self.risk_model, "feature_names_in_", None)
        if names is None:
            raise ValueError("feature_names: not given and the model has no feature_names_in_")
        self._names = [str(n) for n in names]
        self._columns = pd.Index(self._names)
        # Threads start on first submit. The request's own thread decides the actions meanwhile, so
        # TreeSHAP gets the other cores, one job each. On 2 cores, per order in-process, taking
        # turns: one job 12.7 ms p50; two jobs (a third busy thread) 13.5; four or six, the request's
        # thread running those not started once it has decided, 13.7 / 14.1.
        threads = max((os.cpu_count() or 1) - 1, 1)
        self._explainer = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="treeshap")
        self._explain = contribution_tasks(self.risk_model, threads)

    def features(self, lines: pd.DataFrame, request_time: pd.Timestamp) -> pd.DataFrame:
        """The model's inputs per line (online plus request-time features, in the model's column
        order, row-aligned with ``lines``)."""
        return self._inputs(lines, request_time)[0]

    def _inputs(self, lines: pd.DataFrame, request_time: pd.Timestamp) -> tuple[pd.DataFrame, np.ndarray]:
        """``features`` and each line's available stock (the online ``available``, for the decisions)."""
        wait = self._store_down_until - time.monotonic()
        if wait > 0:
            raise FeatureStoreUnavailable(
                f"online feature store unreachable at the last attempt; next attempt in {wait:.1f} s"
            )
        try:
            online = self.reader.read(lines)  # it reads the key columns (a selection costs a copy)
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
        # One float block, its columns taken in the model's order by position: a frame of all
        # columns and a selection by name cost more than the rest of this step.
        block = np.hstack([online_values, request.to_numpy(dtype="float64")])
        take = self._positions(tuple(online.columns), tuple(request.columns))
        inputs = pd.DataFrame(block[:, take], columns=self._columns, index=lines.index, copy=False)
        return inputs, online["available"].to_numpy()

    def _positions(self, online: tuple[str, ...], request: tuple[str, ...]) -> np.ndarray:
        """Positions of the model's columns among ``online + request`` (found once per column set)."""
        cached = self._take
        if cached is not None and cached[0] == (online, request):
            return cached[1]
        position = {name: i for i, name in enumerate(online + request)}
        missing = [n for n in self._names if n not in position]
        if missing:
            raise RuntimeError(f"model expects feature(s) {missing} that serving does not build")
        take = np.array([position[n] for n in self._names], dtype=np.intp)
        self._take = ((online, request), take)  # one assignment: threads see the old pair or the new
        return take

    def score(self, lines: pd.DataFrame, request_time: pd.Timestamp) -> dict[str, Any]:
        """``lines``' columns (LINE_COLUMNS, customer_tier, ``_path``) with features and decisions
        added, as arrays or lists aligned with its rows (a frame would cost more than it serves).

        TreeSHAP for the reasons is the model's costliest step and LightGBM runs it without
        holding the GIL, so it runs on helper threads (the trees cut into one job per thread)
        while this one decides the actions.
        """
        model_input, available = self._inputs(lines, request_time)
        pending = [self._explainer.submit(task) for task in self._explain(model_input)]
        try:
            proba = np.asarray(self.risk_model.predict_proba(model_input))[:, 1]
            low, high = self.thresholds
            level = np.where(proba >= high, "high", np.where(proba >= low, "medium", "low"))
            # Built from arrays once, here and below: assign / setitem / concat cost more per column.
            columns = {c: lines[c].to_numpy() for c in lines.columns}
            columns |= {"backorder_probability": proba, "risk_level": level, "available": available}
            columns |= self.decide(columns)
            # While TreeSHAP runs (it takes longer than the decisions): the model inputs once, for the
            # reasons and as per-line records for the log, without DataFrame.to_dict's overhead.
            values = model_input.to_numpy(dtype="float64")
            columns["features"] = [dict(zip(self._names, row, strict=True)) for row in values.tolist()]
        finally:
            parts = [job.result() for job in pending]  # also when deciding failed: none outlives the request
        parts = [part for part in parts if part is not None]  # None: the model cannot explain
        columns["reasons"] = self._reasons(values, np.sum(parts, axis=0) if parts else None)
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


def contribution_tasks(model: Any, n_jobs: int) -> Callable[[pd.DataFrame], list[Callable[[], np.ndarray | None]]]:
    """For a frame, jobs whose results add up to ``contributions(model, frame)`` (which may be None).

    A model with ``contribution_plan`` (``BoosterClassifier``) has its trees cut once into
    ``n_jobs`` jobs of equal work; any other model gets one job.
    """
    if hasattr(model, "contribution_plan"):
        return model.contribution_plan(n_jobs).tasks
    return lambda frame: [functools.partial(contributions, model, frame)]


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
