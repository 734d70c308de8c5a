"""Training in one process against training on a Dask LocalCluster: wall time and peak memory.

For each model (``risk``, ``sku-risk``, ``demand``) and engine, ``backorder train MODEL --force``
runs in a fresh process on one simulated world (features built, applied and materialized first,
which the local classifiers read through Feast). Printed per run: seconds from start to
registration, the peak resident memory of the training process, the peak of that process and
its children together (the LocalCluster's worker processes), and the headline held-out metric.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_dask_training.py --skus 300 --days 730
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

MODELS = ("risk", "sku-risk", "demand")
HEADLINE = {"risk": "pr_auc", "sku-risk": "pr_auc", "demand": "pinball"}


def _prepare(data_dir: Path, skus: int, days: int) -> None:
    """Simulate the world, build its features and load them into Feast (the local engine's inputs)."""
    for step in (
        ["simulate", "--skus", str(skus), "--days", str(days)],
        ["features", "build"],
        ["features", "apply"],
        ["features", "materialize"],
    ):
        subprocess.run([str(Path(sys.executable).parent / "backorder"), "--data-dir", str(data_dir), *step], check=True)


class PeakMemory:
    """Samples the resident memory of this process and of all its children every 0.2 s."""

    def __init__(self) -> None:
        self.own = self.total = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            own = me.memory_info().rss
            children = 0
            for child in me.children(recursive=True):
                try:
                    children += child.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
            self.own, self.total = max(self.own, own), max(self.total, own + children)
            self._stop.wait(0.2)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _one(model: str, engine: str, data_dir: Path) -> dict[str, object]:
    """Train ``model`` on ``engine`` in this process (the child run by ``main``)."""
    from pipelines.commands.train import train_model
    from settings import load_settings

    settings = load_settings(data_dir=data_dir).model_copy(update={"engine": engine})
    with PeakMemory() as peak:
        started = time.perf_counter()
        result = train_model(settings, model, force=True)
        seconds = time.perf_counter() - started
    return {
        "model": model,
        "engine": engine,
        "seconds": round(seconds, 1),
        "peak_process_mb": round(peak.own / 2**20),
        "peak_with_workers_mb": round(peak.total / 2**20),
        HEADLINE[model]: round(result.metrics[HEADLINE[model]], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skus", type=int, default=300)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--data-dir", type=Path, help="An existing prepared world (default: simulate one).")
    parser.add_argument("--one", nargs=2, metavar=("MODEL", "ENGINE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_one(*args.one, args.data_dir)))
        return
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = args.data_dir or Path(scratch) / "data"
        if args.data_dir is None:
            _prepare(data_dir, args.skus, args.days)
        print(f"world {data_dir} ({args.skus} SKUs x {args.days} days); load average {os.getloadavg()[0]:.1f}")
        for model in args.models.split(","):
            for engine in ("local", "dask"):
                out = subprocess.run(
                    [sys.executable, __file__, "--data-dir", str(data_dir), "--one", model, engine],
                    check=True, capture_output=True, text=True, cwd=Path(scratch),
                ).stdout.strip().splitlines()[-1]
                print(out, f"(load average {os.getloadavg()[0]:.1f})", flush=True)


if __name__ == "__main__":
    main()
