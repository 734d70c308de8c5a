"""`backorder benchmark kaggle` end to end on small generated Kaggle-schema files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from contracts.kaggle import FLAG_COLUMNS, QUANTITY_COLUMNS
from pipelines.cli import app


def _kaggle_frame(n: int, seed: int, label: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    forecast = rng.poisson(30, n)
    frame = pd.DataFrame({name: rng.poisson(20, n) for name in QUANTITY_COLUMNS})
    frame["forecast_3_month"] = forecast
    frame["national_inv"] = rng.integers(-20, 120, n)
    frame["lead_time"] = np.where(rng.random(n) < 0.05, np.nan, rng.integers(2, 12, n))
    frame["perf_6_month_avg"] = np.where(rng.random(n) < 0.1, -99, rng.random(n).round(2))
    frame["perf_12_month_avg"] = np.where(rng.random(n) < 0.1, -99, rng.random(n).round(2))
    for name in FLAG_COLUMNS:
        frame[name] = np.where(rng.random(n) < 0.1, "Yes", "No")
    if label:
        short = (
            frame["national_inv"]
            + frame["in_transit_qty"]
            - forecast / 3 * frame["lead_time"].fillna(8) / 4.3
        )
        p = 1 / (1 + np.exp((short + 20) / 10))
        frame["went_on_backorder"] = np.where(rng.random(n) < p, "Yes", "No")
    return frame


def _benchmark(train: Path, test: Path, out: Path, *options: str):
    return CliRunner().invoke(
        app, ["benchmark", "kaggle", "--train", str(train), "--test", str(test), "--out", str(out), *options]
    )


@pytest.mark.slow
def test_benchmark_kaggle_writes_one_probability_per_test_row_in_order(tmp_path):
    train = tmp_path / "train.csv"
    test = tmp_path / "test.parquet"
    out = tmp_path / "out" / "pred.parquet"
    _kaggle_frame(3000, 0, label=True).to_csv(train, index=False)
    _kaggle_frame(700, 1, label=False).to_parquet(test)
    result = _benchmark(train, test, out, "--metrics-json", str(tmp_path / "metrics.json"), "--seeds", "1")
    assert result.exit_code == 0, result.output
    pred = pd.read_parquet(out)
    assert list(pred.columns) == ["row", "probability"]
    assert pred["row"].dtype == np.int64 and pred["row"].tolist() == list(range(700))
    assert pred["probability"].between(0, 1).all()
    assert "logistic_regression" in result.output and "rule_projected_stock" in result.output
    report = json.loads((tmp_path / "metrics.json").read_text())
    assert report["metrics"]["lightgbm"]["roc_auc"] > 0.7  # the label follows projected stock
    assert 0 <= report["metrics"]["lightgbm"]["ece"] < 0.1  # calibrated on its own fold


def test_benchmark_kaggle_rejects_train_without_label(tmp_path):
    train = tmp_path / "train.csv"
    _kaggle_frame(50, 0, label=False).to_csv(train, index=False)
    result = _benchmark(train, train, tmp_path / "p.parquet")
    assert result.exit_code == 2
    assert "went_on_backorder" in result.output
