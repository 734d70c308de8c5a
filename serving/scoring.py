"""The scoring backend: order lines in, probabilities, reasons, promise dates and actions out.

A ``Scorer`` is assembled from three plain components so the service never depends on where they
come from: a risk model with ``predict_proba(frame)`` (the registry's champion), a feature reader
(``read_values(entity_rows) -> matrix``, e.g. ``features.feature_store.OnlineReader`` or
``FrameFeatureReader``) and a decide function (``decisions.actions.ActionPlanner`` by default) that
takes a request's columns as arrays and returns the action columns as arrays.
Request-time features come from ``features.order_line.request_feature_arrays``, the arithmetic
training's ``request_features`` runs, so online and offline inputs cannot drift apart. A request
stays NumPy arrays from the parsed body to the answer: on a 10-line order, each DataFrame built
on the way cost more than the arithmetic it carried.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from features.order_line import days_between, request_feature_arrays, request_feature_names, tier_codes

LINE_COLUMNS = ["order_id", "line_id", "sku_id", "location_id", "quantity", "requested_date"]
REQUEST_NAMES = tuple(request_feature_names())
# A request's lines: one array per column (``line_columns``); a DataFrame works too.
Lines = Mapping[str, np.ndarray] | pd.DataFrame


class FeatureReader(Protocol):
    feature_names: list[str]

    def read_values(self, entity_rows: Mapping[str, np.ndarray]) -> np.ndarray:
        """Features per row of ``entity_rows`` (columns ``sku_id``, ``location_id`` and maybe more)
        as a float matrix, columns in ``feature_names`` order, NaN where nothing is stored."""
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
    # Locations the service knows: a line at another one is reported on its location_id, not its
    # sku_id (None: not known, every unknown SKU-location is reported on the SKU).
    known_locations: frozenset[str] | None = None
    thresholds: tuple[float, float] = (0.2, 0.5)
    n_reasons: int = 3
    # After a failed online read, answer 503 at once for this many seconds instead of waiting on
    # the store's connection retries (seconds for a Redis client) for every request.
    store_retry_seconds: float = 5.0
    # A request with more lines than one order may hold is a batch: it is scored on threads of its
    # own at a lower CPU priority, so single orders never queue behind it and get the cores first,
    # and at most ``concurrent_batches`` batches score at once (the others wait their turn).
    batch_lines: int = 200
    concurrent_batches: int = 1
    _names: list[str] = field(init=False, repr=False)
    _columns: pd.Index = field(init=False, repr=False)
    # (online and request-time column names, positions of the model's columns among them)
    _take: tuple[tuple[tuple[str, ...], tuple[str, ...]], tuple[np.ndarray, int]] | None = field(
        default=None, init=False, repr=False
    )
    _store_down_until: float = field(default=0.0, init=False, repr=False)
    _explainer: ThreadPoolExecutor = field(init=False, repr=False)
    _batch_explainer: ThreadPoolExecutor = field(init=False, repr=False)
    _batch_runner: ThreadPoolExecutor = field(init=False, repr=False)
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
        # TreeSHAP gets the other cores, one job each; cutting it into more jobs than helper
        # threads did not shorten the request.
        threads = max((os.cpu_count() or 1) - 1, 1)
        self._explainer = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="treeshap")
        self._batch_explainer = ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix="treeshap-batch", initializer=_yield_cpu
        )
        self._batch_runner = ThreadPoolExecutor(
            max_workers=self.concurrent_batches, thread_name_prefix="batch", initializer=_yield_cpu
        )
        self._explain = contribution_tasks(self.risk_model, threads)

    def close(self) -> None:
        """Let the explanation threads end once their jobs are done."""
        self._explainer.shutdown(wait=False)
        self._batch_explainer.shutdown(wait=False)
        self._batch_runner.shutdown(wait=False)

    def features(self, lines: Lines, request_time: pd.Timestamp) -> pd.DataFrame:
        """The model's inputs per line (online plus request-time features, in the model's column
        order, row-aligned with ``lines``)."""
        return self._model_frame(self._inputs(lines, request_time)[0])

    def _model_frame(self, matrix: np.ndarray) -> pd.DataFrame:
        """The model inputs as the frame models take (one float block, not copied)."""
        return pd.DataFrame(matrix, columns=self._columns, copy=False)

    def _inputs(self, lines: Lines, request_time: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
        """The model inputs as a float matrix (model column order) and each line's available stock
        (the online ``available``, for the decisions)."""
        wait = self._store_down_until - time.monotonic()
        if wait > 0:
            raise FeatureStoreUnavailable(
                f"online feature store unreachable at the last attempt; next attempt in {wait:.1f} s"
            )
        try:
            online = self.reader.read_values(lines)  # it reads the key columns
        except Exception as exc:  # any store failure (connection, timeout, corrupt file) alike
            self._store_down_until = time.monotonic() + self.store_retry_seconds
            # The store's own message (tables, files) is the cause, for the log, not the caller.
            raise FeatureStoreUnavailable("online feature store unreachable") from exc
        unknown = np.isnan(online).all(axis=1)
        if unknown.any():
            path, sku, location = (np.asarray(lines[c]) for c in ("_path", "sku_id", "location_id"))
            raise InvalidLines([self._unknown(path[i], sku[i], location[i]) for i in np.flatnonzero(unknown)])
        names = tuple(self.reader.feature_names)
        take, available_at = self._positions(names, REQUEST_NAMES)
        available = online[:, available_at]
        requested = np.asarray(lines["requested_date"], dtype="datetime64[ns]")
        request = request_feature_arrays(
            np.asarray(lines["quantity"], dtype="float64"),
            days_between(requested, np.full(len(requested), pd.Timestamp(request_time).to_datetime64())),
            tier_codes(np.asarray(lines["customer_tier"], dtype=object)),
            available,
        )
        # One float block, its columns taken in the model's order by position: a frame of all
        # columns and a selection by name cost more than the rest of this step.
        block = np.column_stack([online, *request.values()])
        return block[:, take], available

    def _unknown(self, path: str, sku: str, location: str) -> tuple[str, str]:
        """The (field, problem) of a line whose SKU-location has no online features."""
        if self.known_locations is not None and location not in self.known_locations:
            return f"{path}.location_id", f"unknown location {location!r}"
        return f"{path}.sku_id", f"unknown SKU {sku!r} at location {location!r} (no features in the online store)"

    def _positions(self, online: tuple[str, ...], request: tuple[str, ...]) -> tuple[np.ndarray, int]:
        """Positions of the model's columns among ``online + request``, and of ``available``
        among the online ones (found once per column set)."""
        cached = self._take
        if cached is not None and cached[0] == (online, request):
            return cached[1]
        position = {name: i for i, name in enumerate(online + request)}
        missing = [n for n in self._names if n not in position]
        if "available" not in online:
            missing.append("available (online)")
        if missing:
            raise RuntimeError(f"model expects feature(s) {missing} that serving does not build")
        found = (np.array([position[n] for n in self._names], dtype=np.intp), online.index("available"))
        self._take = ((online, request), found)  # one assignment: threads see the old pair or the new
        return found

    def score(self, lines: Lines, request_time: pd.Timestamp) -> dict[str, Any]:
        """``lines``' columns (LINE_COLUMNS, customer_tier, ``_path``; see ``line_columns``) with
        features and decisions added, as arrays or lists aligned with its rows (a frame would cost
        more than it serves).

        TreeSHAP for the reasons is the model's costliest step and LightGBM runs it without
        holding the GIL, so it runs on helper threads (the trees cut into one job per thread)
        while this one decides the actions.
        """
        if len(lines["sku_id"]) <= self.batch_lines:
            return self._score(lines, request_time, self._explainer)
        return self._batch_runner.submit(self._score, lines, request_time, self._batch_explainer).result()

    def _score(self, lines: Lines, request_time: pd.Timestamp, explainer: ThreadPoolExecutor) -> dict[str, Any]:
        values, available = self._inputs(lines, request_time)
        model_input = self._model_frame(values)
        pending = [explainer.submit(task) for task in self._explain(model_input)]
        try:
            proba = np.asarray(self.risk_model.predict_proba(model_input))[:, 1]
            low, high = self.thresholds
            level = np.where(proba >= high, "high", np.where(proba >= low, "medium", "low"))
            # Built from arrays once, here and below: assign / setitem / concat cost more per column.
            columns = {c: np.asarray(lines[c]) for c in lines}
            columns |= {"backorder_probability": proba, "risk_level": level, "available": available}
            columns |= self.decide(columns)
            # While TreeSHAP runs (it takes longer than the decisions): the model inputs as per-line
            # records for the log, without DataFrame.to_dict's overhead.
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


BATCH_NICENESS = 10  # how much lower a batch thread's CPU priority is than the service's


def _yield_cpu() -> None:
    """Lower the calling thread's CPU priority (on Linux a thread has its own nice value), so the
    kernel runs single orders first when both want a core."""
    try:
        thread = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + BATCH_NICENESS)
    except (AttributeError, OSError):  # no per-thread priority here: batches share the cores evenly
        pass


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


def line_columns(orders: Sequence[dict[str, Any]], batch: bool = False) -> dict[str, np.ndarray]:
    """Validated orders flattened to one array per column, a row per line (``Lines``);
    ``_path`` names each line in error messages."""
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
    columns = {
        column: np.array([row[column] for row in rows], dtype=object)
        for column in (rows[0] if rows else [*LINE_COLUMNS, "customer_id", "customer_tier", "_path"])
    }
    columns["requested_date"] = columns["requested_date"].astype("datetime64[ns]")
    columns["quantity"] = columns["quantity"].astype("float64")
    return columns


class FrameFeatureReader:
    """Online features from a DataFrame keyed by sku_id and location_id (tests, batch replays)."""

    def __init__(self, table: pd.DataFrame) -> None:
        self.table = table.set_index(["sku_id", "location_id"])
        if not self.table.index.is_unique:
            raise ValueError("table: duplicate sku_id/location_id rows")
        self.feature_names = [str(c) for c in self.table.columns]

    def read_values(self, entity_rows: Mapping[str, np.ndarray]) -> np.ndarray:
        keys = pd.MultiIndex.from_arrays([np.asarray(entity_rows[c], dtype=object) for c in ("sku_id", "location_id")])
        return self.table.reindex(keys).to_numpy(dtype="float64")
