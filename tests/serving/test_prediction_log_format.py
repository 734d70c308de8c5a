"""The compact prediction-log format reads back as written, next to older JSON lines, and
retention deletes old lines in batches (at start-up and with ``backorder log prune``)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pandas as pd
from typer.testing import CliRunner

import serving.prediction_log as prediction_log
from pipelines.cli import app
from serving.order_log import last_scored_lines
from serving.prediction_log import FILE_NAME, PredictionLog, prune, read_prediction_log

NOW = datetime(2027, 1, 31, 12, tzinfo=UTC)


def line(i: int, logged_at: datetime = NOW, n_features: int = 30) -> dict[str, object]:
    features = {f"feature_{k}": float(i + k) for k in range(n_features)}
    features["feature_0"] = float("nan")  # an unknown value is logged as null
    return {
        "request_id": f"r{i // 2}",
        "logged_at": logged_at.isoformat(),
        "model_version": "backorder_risk/3",
        "order_id": f"O{i // 2}",
        "line_id": str(i),
        "sku_id": f"SKU{i:03d}",
        "location_id": "DC1",
        "inputs": {"customer_id": "C1", "quantity": 4.0 + i, "requested_date": "2027-02-10"},
        "features": features,
        "outputs": {
            "backorder_probability": 0.1 + i / 100,
            "promise_date": "2027-02-12",
            "reasons": [
                {"feature": "feature_2", "value": features["feature_2"], "contribution": 0.25},
                {"feature": "feature_0", "value": None, "contribution": -0.125},
            ],
            "action": {"action": "expedite", "quantity": 3.0},
        },
    }


def _write(directory, rows, log_format, **kwargs) -> None:
    log = PredictionLog(directory, log_format=log_format, **kwargs)
    log.append(rows)
    log.close()


def test_compact_and_json_lines_read_back_as_written_in_one_log(tmp_path):
    rows = [line(i) for i in range(6)]
    _write(tmp_path, rows[:3], "json")  # a log from before the compact format
    _write(tmp_path, rows[3:], "compact")
    log = read_prediction_log(tmp_path)
    assert list(log["line_id"]) == [r["line_id"] for r in rows]
    for (_, got), want in zip(log.iterrows(), rows, strict=True):
        assert got["inputs"] == want["inputs"]
        assert got["outputs"] == want["outputs"]
        assert list(got["features"]) == list(want["features"])
        assert math.isnan(want["features"]["feature_0"]) and got["features"]["feature_0"] is None
        assert got["features"]["feature_5"] == want["features"]["feature_5"]
    assert log["logged_at"].iloc[-1] == pd.Timestamp(NOW)
    notice = last_scored_lines(tmp_path, "O2")  # lines 4 and 5, compact
    assert list(notice["line_id"]) == ["4", "5"]
    assert list(notice["backorder_probability"]) == [r["outputs"]["backorder_probability"] for r in rows[4:]]


def test_compact_lines_take_less_than_half_the_bytes(tmp_path):
    rows = [line(i) for i in range(400)]
    sizes = {}
    for log_format in ("json", "compact"):
        _write(tmp_path / log_format, rows, log_format)
        sizes[log_format] = (tmp_path / log_format / FILE_NAME).stat().st_size
    assert sizes["compact"] < sizes["json"] / 2


def test_prune_deletes_only_lines_older_than_the_retention_in_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(prediction_log, "PRUNE_BATCH", 7)
    old = [line(i, NOW - timedelta(days=40, hours=i)) for i in range(20)]
    recent = [line(100 + i, NOW - timedelta(days=29)) for i in range(5)]
    _write(tmp_path, old + recent, "compact")
    assert prune(tmp_path / FILE_NAME, retention_days=30, now=NOW) == 20
    assert list(read_prediction_log(tmp_path)["line_id"]) == [r["line_id"] for r in recent]


def test_the_log_prunes_old_lines_when_it_opens(tmp_path):
    _write(tmp_path, [line(0, datetime.now(UTC) - timedelta(days=400)), line(1, datetime.now(UTC))], "compact")
    PredictionLog(tmp_path, retention_days=365).close()
    assert list(read_prediction_log(tmp_path)["line_id"]) == ["1"]


def test_log_prune_command_uses_the_retention_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKORDER_PREDICTION_LOG_RETENTION_DAYS", "10")
    log_dir = tmp_path / "prediction_log"
    _write(log_dir, [line(0, datetime.now(UTC) - timedelta(days=11)), line(1, datetime.now(UTC))], "json")
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "log", "prune"])
    assert result.exit_code == 0, result.output
    assert "deleted 1 lines older than 10 days" in result.output
    assert list(read_prediction_log(log_dir)["line_id"]) == ["1"]
