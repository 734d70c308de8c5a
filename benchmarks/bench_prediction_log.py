"""Bytes per prediction-log line in each stored format, and print the figures.

    .venv/bin/python benchmarks/bench_prediction_log.py
    .venv/bin/python benchmarks/bench_prediction_log.py --requests 200 --lines 10
    .venv/bin/python benchmarks/bench_prediction_log.py --log data/prediction_log  # an existing log's lines

Scores generated orders through the real service (the components of ``bench_serving.py``) once,
or reads the lines of an existing log with ``--log``, then writes the same rows into a fresh log
per format and reports the database file's size per line (after VACUUM, so free pages are not
counted) and the time per append of one order's lines.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from bench_serving import KEY, TODAY, components, order

from serving.prediction_log import COLUMNS, FILE_NAME, FORMATS, PredictionLog, read_prediction_log
from serving.runtime import build_runtime
from settings import load_settings


def scored_rows(args: argparse.Namespace, tmp: Path) -> list[dict[str, object]]:
    """The rows the service logs for ``args.requests`` orders of ``args.lines`` lines."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    from serving.service import RiskService, in_process_app

    rng = np.random.default_rng(args.seed)
    settings = load_settings(data_dir=tmp / "scored", api_keys={KEY: ["oms"]}, allow_dev_key=False)
    runtime = build_runtime(settings, components(args.skus, args.seed), today=lambda: TODAY)
    RiskService.inner.runtime_factory = staticmethod(lambda: runtime)
    with TestClient(in_process_app()) as client:
        for i in range(args.requests):
            body = order(rng, i, args.lines, args.skus)
            client.post("/v1/score", json=body, headers={"Authorization": f"Bearer {KEY}"}).raise_for_status()
    runtime.log.close()
    return logged_rows(settings.prediction_log_dir)


def logged_rows(directory: Path) -> list[dict[str, object]]:
    """The lines of the log in ``directory`` as the rows ``PredictionLog.append`` takes."""
    log = read_prediction_log(directory)
    log["logged_at"] = log["logged_at"].map(lambda t: t.isoformat())
    return log[COLUMNS].to_dict("records")


def measure(rows: list[dict[str, object]], log_format: str, directory: Path, per_request: int) -> None:
    log = PredictionLog(directory, log_format=log_format)
    start = time.perf_counter()
    for i in range(0, len(rows), per_request):
        log.append(rows[i : i + per_request])
    seconds = time.perf_counter() - start
    log.close()
    with sqlite3.connect(directory / FILE_NAME) as conn:
        conn.execute("VACUUM")
    conn.close()
    size = (directory / FILE_NAME).stat().st_size
    requests = len(rows) / per_request
    print(
        f"{log_format:>8}: {size / len(rows):,.0f} bytes per line  "
        f"({size / 1e6:.1f} MB for {len(rows):,} lines), {seconds / requests * 1000:.2f} ms per append"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--lines", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log", type=Path, help="measure the lines of this prediction-log folder instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = logged_rows(args.log) if args.log else scored_rows(args, Path(tmp))
        for log_format in FORMATS:
            measure(rows, log_format, Path(tmp) / log_format, args.lines)


if __name__ == "__main__":
    main()
