"""``bentoml build`` packages the service code (and no data or tests) from bentofile.yaml."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_bentofile_builds_a_bento(tmp_path: Path):
    env = {**os.environ, "BENTOML_HOME": str(tmp_path), "BENTOML_DO_NOT_TRACK": "true", "DO_NOT_TRACK": "true"}
    bentoml = Path(sys.executable).parent / "bentoml"
    done = subprocess.run(
        [str(bentoml), "build", str(REPO)], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (bento,) = [p for p in (tmp_path / "bentos" / "backorder_radar").iterdir() if p.name != "latest"]
    src = bento / "src"
    assert (src / "serving" / "service.py").exists() and (src / "serving" / "supply.py").exists()
    assert (src / "training" / "tracking.py").exists()
    assert (src / "alerts" / "store.py").exists() and (src / "live" / "state.py").exists()  # serving imports them
    assert not (src / "tests").exists() and not (src / "data").exists()
    assert "serving.service:RiskService" in (bento / "bento.yaml").read_text()
