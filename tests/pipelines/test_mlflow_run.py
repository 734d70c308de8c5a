"""`mlflow run . -e STEP --env-manager local` runs the same code as the CLI, into the project's own
registry (not into the project run that `mlflow run` opens for itself)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow import MlflowClient

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _mlflow_run(step: str, *params: str, cwd: Path, data: Path) -> subprocess.CompletedProcess:
    venv_bin = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        "BACKORDER_DATA_DIR": str(data),
        "MLFLOW_TRACKING_URI": f"sqlite:///{cwd / 'projects.db'}",  # where mlflow run records its own runs
    }
    args = [f"{venv_bin}/mlflow", "run", str(ROOT), "-e", step, "--env-manager", "local"]
    for param in params:
        args += ["-P", param]
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_simulate_then_train_lead_time_through_mlflow_run(tmp_path):
    data = tmp_path / "data"
    simulated = _mlflow_run("simulate", "skus=20", "days=150", cwd=tmp_path, data=data)
    assert simulated.returncode == 0, simulated.stderr[-2000:]
    assert (data / "canonical" / "purchase_orders.parquet").exists()

    trained = _mlflow_run("train_lead_time", cwd=tmp_path, data=data)
    assert trained.returncode == 0, trained.stderr[-2000:]
    store = f"sqlite:///{data / 'mlflow' / 'mlflow.db'}"  # settings.tracking_uri of this data folder
    registry = MlflowClient(tracking_uri=store, registry_uri=store)
    assert str(registry.get_model_version_by_alias("lead_time", "challenger").version) == "1"
    assert "lead_time v1 registered as challenger" in trained.stdout  # the command's own report
