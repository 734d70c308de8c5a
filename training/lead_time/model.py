"""``LeadTimeModel``: delay distribution (P10/P50/P90) and p_late of PO lines open at a cut-off.

Quantile boosters for the delay in days and a binary booster for "arrives after its scheduled
date", trained on lines delivered by the cut-off (one row each). The lines scheduled in the last
fifth of the history form a later-in-time fold used for early stopping and split-conformal
correction of the quantiles; the boosters are then refitted on all lines. (One row per line, not
a landmark design re-describing every line at many past cut-offs, which fits SCMS worse.) Two facts
known at the cut-off are imposed exactly: a line still open then arrives after it, so its delay is
at least ``cutoff - scheduled + 1`` days and, if already due, it is late for sure. With
``on_time_atom`` a second binary booster ("arrives before its scheduled date") marks the share of
lines delivered exactly on time, and the quantiles are set in whole days around it
(``training.lead_time.on_time``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from training.engine import ModelSpec, fit_lightgbm
from training.forecasting.conformal import POOLED, apply_conformal_offsets, fit_conformal_offsets
from training.lead_time.features import (
    DAY,
    LeadTimeSpec,
    coerce_po_lines,
    line_features,
    open_delay_floor,
)
from training.lead_time.on_time import whole_day_quantiles
from training.lead_time.supplier_history import STATS, recent_supplier_delays, supplier_history


class LeadTimeModel:
    """Estimator: ``fit(history, cutoff)`` on delivered lines; ``predict(open_lines)``."""

    def __init__(
        self,
        spec: LeadTimeSpec,
        quantiles: tuple[float, ...] = (0.1, 0.5, 0.9),
        params: dict[str, Any] | None = None,
        num_boost_round: int = 1000,
        late_threshold: float = 0.5,
        typical_supplier_offsets: bool = False,
        conformal: bool = True,
        seeds: tuple[int, ...] = (7,),
        recent_supplier_lines: int | None = None,
        recent_supplier_gap_days: float = 0.0,
        half_life_days: float | None = None,
        settled_days: float | None = None,
        on_time_atom: bool = False,
    ) -> None:
        """``typical_supplier_offsets``: conformal offsets of the typical supplier (the median,
        over suppliers, of each supplier's own offsets) instead of one pooled over all lines, for
        a caller that follows a supplier's current state itself (the policy's tracking signal).
        ``conformal``: shift the quantiles by the calibration fold's offsets (False: the boosters'
        quantiles as they are: their pinball loss is lower where interval coverage matters less).
        ``seeds``: each quantile is the mean of one booster per seed (row and feature sampling
        differ by seed), which lowers the variance of a single fit. ``recent_supplier_lines``: add
        the P10/P50/P90 and late share of the supplier's last lines (that many) known before each
        line's known-at date, ``recent_supplier_gap_days`` before its due date at the latest
        (``training.lead_time.supplier_history``; None: the supplier enters as a category only).
        ``half_life_days``: weight each training line by 0.5 ** (days from its due date to the
        cut-off / half-life), so recent deliveries count more (None: equal weights).
        ``settled_days``: fit only on lines due at least that many days before the cut-off, leaving
        out the recent lines whose late deliveries are not in yet (None: every delivered line).
        ``on_time_atom``: for delays recorded in whole days, many of them exactly 0: quantiles in
        whole days, 0 where the level falls in the on-time share left by the early and late
        boosters' probabilities (``whole_day_quantiles``)."""
        self.spec = spec
        self.quantiles = quantiles
        self.params = params
        self.num_boost_round = num_boost_round
        self.late_threshold = late_threshold
        self.typical_supplier_offsets = typical_supplier_offsets
        self.conformal = conformal
        self.seeds = seeds
        self.recent_supplier_lines = recent_supplier_lines
        self.recent_supplier_gap_days = recent_supplier_gap_days
        self.half_life_days = half_life_days
        self.settled_days = settled_days
        self.on_time_atom = on_time_atom

    def fit(self, history: pd.DataFrame, cutoff: pd.Timestamp | None = None) -> LeadTimeModel:
        spec = self.spec
        data = coerce_po_lines(history, spec, need_received=True)
        data = data[data[spec.received_col].notna() & data[spec.due_col].notna()]
        self.cutoff_ = pd.Timestamp(cutoff) if cutoff is not None else data[spec.received_col].max()
        data = data[data[spec.received_col] <= self.cutoff_]
        if self.settled_days is not None:
            data = data[data[spec.due_col] <= self.cutoff_ - pd.Timedelta(days=self.settled_days)]
        self.categories_ = {
            col: pd.Index(data[col].unique())
            for col in dict.fromkeys([spec.supplier_col, *spec.categorical])
        }
        self.supplier_history_ = supplier_history(data, spec) if self.recent_supplier_lines else None
        frame = self._encode(self._with_features(data))
        frame["delay"] = (frame[spec.received_col] - frame[spec.due_col]) / DAY
        self.feature_names_ = [c for c in frame.columns if c.startswith("f_")]
        due = frame[spec.due_col]
        split = due.quantile(0.8)
        train = frame[frame[spec.received_col] <= split]
        calib = frame[due > split]
        if train.empty or calib.empty:
            raise ValueError("PO lines: history too short for a training and a calibration fold")
        # Each quantile stops on its own: the median of delays is mostly 0 and stops at once,
        # while the tails keep learning from route and product for many rounds.
        rounds, calib_pred = {}, []
        for q in self.quantiles:
            rounds[q], per_seed = [], []
            for seed in self.seeds:
                booster = self._fit(("quantile", q), train, calib, self.num_boost_round, seed)
                rounds[q].append(max(int(booster.best_iteration or booster.current_iteration()), 10))
                per_seed.append(booster.predict(calib[self.feature_names_]))
            calib_pred.append(np.mean(per_seed, axis=0))
        pred = np.column_stack(calib_pred)
        ones = np.ones(len(calib))
        delay = calib["delay"].to_numpy()
        if not self.conformal:
            self.offsets_ = pd.DataFrame(0.0, index=[POOLED], columns=list(self.quantiles))
        elif self.typical_supplier_offsets:
            # One supplier disrupted in the calibration weeks would otherwise widen every supplier.
            by_supplier = fit_conformal_offsets(calib[spec.supplier_col].to_numpy(), delay, pred, ones, self.quantiles)
            per_supplier = by_supplier.drop(index=POOLED)
            # Fewer than 3 suppliers with enough lines: no typical one, the pooled offsets stand.
            typical = per_supplier.median() if len(per_supplier) >= 3 else by_supplier.loc[POOLED]
            self.offsets_ = typical.to_frame(POOLED).T
        else:
            self.offsets_ = fit_conformal_offsets(ones, delay, pred, ones, self.quantiles)
        self.boosters_ = {
            q: [self._fit(("quantile", q), frame, None, n, seed)
                for seed, n in zip(self.seeds, rounds[q], strict=True)]
            for q in self.quantiles
        }
        self.late_booster_, late_rounds = self._refitted_binary("late", train, calib, frame)
        self.early_booster_, early_rounds = (
            self._refitted_binary("early", train, calib, frame) if self.on_time_atom else (None, None)
        )
        self.fit_info_ = {
            "cutoff": str(self.cutoff_.date()),
            "rows": int(len(frame)),
            "rows_train": int(len(train)),
            "rows_calibration": int(len(calib)),
            "rounds_quantile": rounds,
            "rounds_late": late_rounds,
            "rounds_early": early_rounds,
            "calibration_split": str(pd.Timestamp(split).date()),
            "features": list(self.feature_names_),
        }
        return self

    def _with_features(self, lines: pd.DataFrame) -> pd.DataFrame:
        """``lines`` with the derived columns the model reads (``line_features``, supplier history)."""
        parts = [lines, line_features(lines, self.spec)]
        # Models pickled before the supplier history existed have none.
        history = getattr(self, "supplier_history_", None)
        if history is not None:
            parts.append(recent_supplier_delays(
                history, lines, self.spec, self.cutoff_,
                self.recent_supplier_lines, self.recent_supplier_gap_days,
            ))
        return pd.concat(parts, axis=1)

    def _encode(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Prefix model inputs with ``f_``; categoricals become codes (unseen label -> missing)."""
        spec = self.spec
        out = frame.copy()
        feature_cols = ["due_month", "due_dayofweek", *spec.numeric]
        if getattr(self, "supplier_history_", None) is not None:
            feature_cols.extend(STATS)
        if spec.order_col:
            feature_cols.append("quoted_lead_days")
        for col in feature_cols:
            out[f"f_{col}"] = out[col].astype("float64")
        for col, cats in self.categories_.items():
            codes = cats.get_indexer(out[col].astype("string").fillna("<missing>")).astype(
                "float64"
            )
            out[f"f_cat_{col}"] = np.where(codes >= 0, codes, np.nan)
        return out

    def _fit(
        self,
        objective: tuple[str, float | None],
        train: pd.DataFrame,
        valid: pd.DataFrame | None,
        rounds: int,
        seed: int = 7,
    ):
        kind, q = objective  # kind: "quantile", or the binary "late" (delay > 0) or "early" (< 0)
        params = {
            "num_threads": 1,
            "num_leaves": 15,
            "min_data_in_leaf": 30,
            "cat_smooth": 10,
            **(self.params or {}),
        }  # 1 thread: see training.forecasting.model._THREADS
        if kind == "quantile":
            params["alpha"] = q
        spec = ModelSpec(
            name=f"lead_time_{kind}_{q}",
            objective="quantile" if kind == "quantile" else "binary",
            features=tuple(self.feature_names_),
            categorical=tuple(c for c in self.feature_names_ if c.startswith("f_cat_")),
            params=params,
            num_boost_round=rounds,
            early_stopping_rounds=50,
            seed=seed,
        )
        labels = {
            "quantile": lambda f: f["delay"],
            "late": lambda f: (f["delay"] > 0).astype("float64"),
            "early": lambda f: (f["delay"] < 0).astype("float64"),
        }
        label = labels[kind]
        return fit_lightgbm(
            spec, train, label(train), valid, None if valid is None else label(valid),
            weight_train=self._recency_weights(train),
        )

    def _refitted_binary(
        self, kind: str, train: pd.DataFrame, calib: pd.DataFrame, frame: pd.DataFrame
    ) -> tuple[Any, int]:
        """A binary booster (``kind`` "late" or "early") early-stopped on the calibration fold,
        then refitted on all lines with that many rounds; the booster and its rounds."""
        stopped = self._fit((kind, None), train, calib, self.num_boost_round)
        rounds = max(int(stopped.best_iteration or stopped.current_iteration()), 10)
        return self._fit((kind, None), frame, None, rounds), rounds

    def _recency_weights(self, frame: pd.DataFrame) -> np.ndarray | None:
        """Training weights halving every ``half_life_days`` before the cut-off (None: equal)."""
        if self.half_life_days is None:
            return None
        age = (self.cutoff_ - frame[self.spec.due_col]) / DAY
        return np.power(0.5, np.clip(age.to_numpy(dtype="float64"), 0, None) / self.half_life_days)

    def _seed_boosters(self, q: float) -> list:
        boosters = self.boosters_[q]
        # Models pickled before seed averaging hold one booster per quantile.
        return boosters if isinstance(boosters, list) else [boosters]

    def predict(self, open_lines: pd.DataFrame) -> pd.DataFrame:
        """``id, p10, p50, p90`` (delay days), ``p_late``, ETA quantiles and ``late_flag``."""
        spec = self.spec
        lines = coerce_po_lines(open_lines, spec, need_received=False).reset_index(drop=True)
        frame = self._encode(self._with_features(lines))
        x = frame[self.feature_names_]
        pred = np.column_stack(
            [np.mean([b.predict(x) for b in self._seed_boosters(q)], axis=0) for q in self.quantiles]
        )
        ones = np.ones(len(frame))
        pred = np.sort(apply_conformal_offsets(ones, pred, ones, self.offsets_), axis=1)
        p_late = self.late_booster_.predict(x)
        # Models pickled before the on-time step have no early booster.
        if getattr(self, "early_booster_", None) is not None:
            pred = whole_day_quantiles(pred, self.quantiles, self.early_booster_.predict(x), p_late)
        # Open at the cut-off means it arrives after the cut-off: impose the known lower bound.
        floor = open_delay_floor(lines[spec.due_col], self.cutoff_)
        pred = np.fmax(pred, floor[:, None])  # fmax: a missing scheduled date imposes nothing
        p_late = np.where(floor >= 1, 1.0, p_late)
        out = pd.DataFrame({spec.id_col: lines[spec.id_col].to_numpy()})
        for i, q in enumerate(self.quantiles):
            name = f"p{round(q * 100)}"
            out[name] = pred[:, i]
            out[f"eta_{name}"] = lines[spec.due_col] + pd.to_timedelta(
                np.round(pred[:, i]), unit="D"
            )
        out["p_late"] = p_late
        out["late_flag"] = p_late >= self.late_threshold
        return out
