"""Every scored line is in the log once its answer is sent, even if the process is then killed."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from serving_helpers import auth, order

from serving.prediction_log import COLUMNS, PredictionLog, read_prediction_log

REPO = Path(__file__).resolve().parents[2]


def test_a_new_reader_sees_every_line_after_each_request(client, runtime):
    log_dir = runtime.log.path.parent
    seen = 0
    for n_lines in (1, 3, 2):
        answer = client.post("/v1/score", json=order(n_lines), headers=auth("oms-key")).json()
        log = read_prediction_log(log_dir)
        seen += n_lines
        assert len(log) == seen
        mine = log[log["request_id"] == answer["request_id"]]
        assert list(mine["line_id"]) == [line["line_id"] for line in answer["lines"]]
        assert set(mine["model_version"]) == {answer["model_version"]}
        first = mine.iloc[0]
        assert (
            first["outputs"]["backorder_probability"] == answer["lines"][0]["backorder_probability"]
        )
        assert first["outputs"]["action"] == answer["lines"][0]["action"]
        assert set(runtime.scorer._names) == set(first["features"])
        assert first["inputs"]["requested_date"] == "2026-03-10"
        assert first["inputs"]["customer_tier"] == "gold"


@pytest.mark.parametrize(("sync", "level"), [("normal", 1), ("full", 2)])
def test_log_is_wal_with_the_configured_sync(tmp_path, sync, level):
    log = PredictionLog(tmp_path, sync)
    with sqlite3.connect(log.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert log._conn.execute("PRAGMA synchronous").fetchone()[0] == level
    log.close()


def test_an_unknown_sync_mode_is_refused(tmp_path):
    with pytest.raises(ValueError, match="sync must be one of"):
        PredictionLog(tmp_path, "off")


def test_lines_survive_a_killed_process(tmp_path):
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from serving.prediction_log import PredictionLog, COLUMNS
        log = PredictionLog(Path({str(tmp_path)!r}))
        for i in range(3):
            row = {{c: f"{{c}}-{{i}}" for c in COLUMNS}}
            row.update(logged_at="2026-03-02T10:00:00+00:00", inputs={{"q": i}})
            row.update(features={{"x": float("nan")}}, outputs={{"p": 0.5}})
            log.append([row])
        os.kill(os.getpid(), signal.SIGKILL)  # no close, no atexit, no flush
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True)
    assert proc.returncode == -9, proc.stderr.decode()
    log = read_prediction_log(tmp_path)
    assert list(log["request_id"]) == ["request_id-0", "request_id-1", "request_id-2"]
    assert log["features"].iloc[0] == {"x": None}  # NaN stored as JSON null


def test_reader_of_an_empty_directory_returns_an_empty_frame(tmp_path):
    assert read_prediction_log(tmp_path).empty


def test_checkpoints_run_in_the_background_not_in_appends(tmp_path):
    """The database file fills while the log stays open and no append runs a checkpoint."""
    log = PredictionLog(tmp_path, checkpoint_seconds=0.05, log_format="json")  # rows of plain text
    assert log._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    empty = log.path.stat().st_size
    row = {c: "x" * 200 for c in COLUMNS} | {"logged_at": "2026-03-02T10:00:00+00:00", "features": {"f": 1.0}}
    for _ in range(50):
        log.append([row] * 10)
    deadline = time.monotonic() + 10
    while log.path.stat().st_size <= empty and time.monotonic() < deadline:
        time.sleep(0.02)
    assert log.path.stat().st_size > empty  # the checkpointer copied the WAL into the file
    log.close()
    wal = Path(f"{log.path}-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # closed: everything is in the database file
    assert len(read_prediction_log(tmp_path)) == 500


def test_numpy_numbers_and_dates_are_stored_as_json_values(tmp_path):
    import numpy as np
    import pandas as pd

    log = PredictionLog(tmp_path)
    row = {c: c for c in COLUMNS} | {"logged_at": "2026-03-02T10:00:00+00:00"}
    row["inputs"] = {"quantity": np.float64(4.0), "lines": np.int64(3), "day": pd.Timestamp("2026-03-05")}
    row["features"] = {"x": np.float32(np.nan), "y": 1.5}
    log.append([row])
    log.close()
    stored = read_prediction_log(tmp_path).iloc[0]
    assert stored["inputs"] == {"quantity": 4.0, "lines": 3, "day": "2026-03-05T00:00:00"}  # ISO 8601
    assert stored["features"] == {"x": None, "y": 1.5}
