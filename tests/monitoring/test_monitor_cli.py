"""``backorder monitor`` as an operator runs it: report and summary written, decision explained."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient
from sklearn.linear_model import LogisticRegression
from typer.testing import CliRunner

from monitoring.evidence import NOT_ENOUGH_DATA
from pipelines.cli import app
from pipelines.commands.monitor import write_monitoring
from pipelines.commands.train import TrainResult
from serving.prediction_log import PredictionLog
from training.tracking import TrainingRecord, configure, log_training_run

FEATURES = ["days_of_cover", "supplier_delay_mean_90", "line_quantity"]


def _world(rng: np.random.Generator, n: int, delay_shift: float = 0.0) -> tuple[pd.DataFrame, np.ndarray]:
    X = pd.DataFrame(
        {
            "days_of_cover": rng.exponential(20.0, n),
            "supplier_delay_mean_90": rng.gamma(2.0, 2.0, n) + delay_shift,
            "line_quantity": rng.integers(1, 6, n).astype(float),
        }
    )
    logit = 0.5 * X["supplier_delay_mean_90"] - 0.15 * X["days_of_cover"] - 1.0
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int).to_numpy()
    return X, y


@pytest.fixture
def served(settings, monkeypatch):
    """A champion ``backorder_risk`` with its reference, in the settings' own tracking store."""
    monkeypatch.chdir(settings.root)
    rng = np.random.default_rng(5)
    X, y = _world(rng, 1500)
    X_ref, y_ref = _world(rng, 800)
    model = LogisticRegression().fit(X, y)
    reference = X_ref.assign(prediction=model.predict_proba(X_ref)[:, 1], label=y_ref)
    record = TrainingRecord(
        model_name="backorder_risk",
        params={"C": 1.0},
        metrics={"pr_auc": 0.5},
        feature_names=tuple(FEATURES),
        holdout_period="2024-06",
        data_identity={},
        reference=reference,
    )
    experiment = configure(settings.tracking_uri, settings.artifact_root, "backorder_risk")
    version = log_training_run(record, model, X, experiment)
    MlflowClient().set_registered_model_alias("backorder_risk", "champion", version.version)
    yield settings, model
    mlflow.set_tracking_uri(None)


def _log_scored_lines(settings, model, rng, n: int, delay_shift: float, hours: int = 200) -> None:
    """Scored lines, logged over the last ``hours`` hours, and their outcomes in the canonical order lines."""
    X, y = _world(rng, n, delay_shift)
    p = model.predict_proba(X)[:, 1]
    now = datetime(2024, 7, 30, 23, tzinfo=UTC)
    log = PredictionLog(settings.prediction_log_dir)
    log.append(
        [
            {
                "request_id": f"r{i}",
                "logged_at": (now - timedelta(hours=i % hours)).isoformat(),
                "model_version": "1",
                "order_id": f"O-{i}",
                "line_id": 1,
                "sku_id": "SKU-1",
                "location_id": "DC-1",
                "inputs": {},
                "features": features,
                "outputs": {"backorder_probability": float(p[i]), "risk_level": "low"},
            }
            for i, features in enumerate(X.to_dict("records"))
        ]
    )
    log.close()
    requested = pd.Timestamp("2024-07-20") + pd.to_timedelta(np.arange(n) % 10, unit="D")
    lines = pd.DataFrame(
        {
            "order_id": [f"O-{i}" for i in range(n)],
            "line_id": 1,
            "sku_id": "SKU-1",
            "location_id": "DC-1",
            "quantity": 2,
            "requested_date": requested,
            "shipped_quantity": 2,
            "shipped_date": requested + pd.to_timedelta(np.where(y == 1, 3, -1), unit="D"),
            "backordered_quantity": 0,
        }
    )
    settings.canonical_dir.mkdir(parents=True, exist_ok=True)
    lines.to_parquet(settings.canonical_dir / "order_lines.parquet", index=False)


def _run(settings, *args: str):
    return CliRunner().invoke(app, ["monitor", "--out", str(settings.root / "report"), *args])


@pytest.mark.slow
def test_drifted_log_writes_report_and_summary_and_dry_run_names_the_model(served):
    settings, model = served
    _log_scored_lines(settings, model, np.random.default_rng(1), 600, delay_shift=8.0)
    verdict = write_monitoring(settings, settings.root / "report", dry_run=True)
    [flagged] = verdict.retraining
    assert (flagged.model_name, flagged.train_target, flagged.result) == ("backorder_risk", "risk", None)
    assert any("supplier_delay_mean_90" in reason for reason in flagged.reasons)
    assert not verdict.failed
    summary = json.loads(verdict.summary_path.read_text())
    risk = summary["models"]["backorder_risk"]
    assert risk["drift"]["verdict"] == "drift" and risk["drift"]["evidence"]["days_seen"] == 9
    assert risk["drift"]["drifted_columns"] == ["supplier_delay_mean_90"]
    assert "line_quantity" in risk["drift"]["request_mix"]["column_scores"]  # caller-chosen: reported apart
    assert risk["drift"]["prediction_drifted"]
    assert risk["performance"]["rows"] == 600 and "pr_auc" in risk["reference_performance"]
    assert summary["retrain"][0]["model"] == "backorder_risk" and summary["dry_run"]
    assert summary["retrained"] == []
    assert summary["thresholds"]["column_psi"] == 0.2
    assert summary["models"]["demand"]["skipped"] == "no champion registered"
    page = verdict.report_path.read_text()
    assert "retrain backorder_risk" in page and page.count("<iframe") == 2  # drift and performance


@pytest.mark.slow
def test_unchanged_world_needs_no_retraining(served):
    settings, model = served
    _log_scored_lines(settings, model, np.random.default_rng(2), 600, delay_shift=0.0)
    result = _run(settings, "--dry-run")
    assert result.exit_code == 0, result.output
    summary = json.loads((settings.root / "report" / "summary.json").read_text())
    assert summary["retrain"] == [] and summary["decision"] == "no retraining needed"
    assert summary["models"]["backorder_risk"]["performance"]["pr_auc"] > 0


def test_missing_prediction_log_is_a_clear_error(settings, monkeypatch):
    monkeypatch.chdir(settings.root)
    result = _run(settings)
    assert result.exit_code == 2
    assert "prediction log not found" in result.output
    assert not (settings.root / "report").exists()


def test_missing_champion_is_a_clear_error(settings, monkeypatch):
    monkeypatch.chdir(settings.root)
    _log_scored_lines(settings, LogisticRegression().fit(*_world(np.random.default_rng(0), 50)),
                      np.random.default_rng(3), 20, 0.0)
    result = _run(settings)
    mlflow.set_tracking_uri(None)
    assert result.exit_code == 2
    assert "champion of 'backorder_risk' not found" in result.output
    assert "backorder promote --model backorder_risk" in result.output


def _record_training(monkeypatch) -> list[tuple[str, bool]]:
    """Training replaced by a stub that records (target, force) and registers version 2."""
    calls = []

    def train_model(settings_, name, force=False):
        calls.append((name, force))
        metrics = {"pr_auc": 0.5, "baseline_rule.pr_auc": 0.3, "baseline_logistic.pr_auc": 0.4}
        return TrainResult("backorder_risk", "2", registered=True, metrics=metrics)

    monkeypatch.setattr("pipelines.commands.train.train_model", train_model)
    return calls


@pytest.mark.slow
def test_without_dry_run_the_flagged_model_is_retrained_with_force(served, monkeypatch):
    settings, model = served
    _log_scored_lines(settings, model, np.random.default_rng(4), 600, delay_shift=8.0)
    calls = _record_training(monkeypatch)
    result = _run(settings)
    assert result.exit_code == 0, result.output
    assert calls == [("risk", True)]
    summary = json.loads((settings.root / "report" / "summary.json").read_text())
    assert summary["retrained"] == [{"model": "backorder_risk", "version": "2", "registered": True}]


@pytest.mark.slow
def test_one_day_of_drifted_log_is_not_enough_data_yet_and_retrains_nothing(served, monkeypatch):
    settings, model = served
    _log_scored_lines(settings, model, np.random.default_rng(4), 600, delay_shift=8.0, hours=12)
    calls = _record_training(monkeypatch)
    result = _run(settings)
    assert result.exit_code == 0, result.output
    assert calls == []
    summary = json.loads((settings.root / "report" / "summary.json").read_text())
    drift = summary["models"]["backorder_risk"]["drift"]
    assert drift["verdict"] == NOT_ENOUGH_DATA
    assert drift["evidence"] == {"days_seen": 1, "days_needed": 7, "rows_seen": 600, "rows_needed": 500}
    assert drift["drifted_columns"] == [] and not drift["prediction_drifted"]
    assert summary["retrain"] == [] and NOT_ENOUGH_DATA in summary["decision"]
    assert NOT_ENOUGH_DATA in result.output


def test_a_window_shorter_than_the_minimum_days_is_refused(settings, monkeypatch):
    monkeypatch.chdir(settings.root)
    result = _run(settings, "--window-days", "3")
    assert result.exit_code == 2
    assert "min_window_days (7) exceeds window_days (3)" in result.output
    assert not (settings.root / "report").exists()
