"""The commands keep the stack's own output out of theirs, and a user's setting still wins."""

from __future__ import annotations

import logging
import os
import sys

from settings.third_party_output import QUIET_ENVIRONMENT, library_prints_silenced, quiet_third_party_output


def test_library_prints_are_dropped_and_the_streams_restored(capsys):
    with library_prints_silenced():
        print("Materializing 3 feature views")
        print("Successfully registered model 'backorder_risk'.", file=sys.stderr)
    print("step done")
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("step done\n", "")


def test_quiet_defaults_do_not_override_what_the_user_set(monkeypatch):
    for name in QUIET_ENVIRONMENT:  # unset for the test, restored afterwards
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("MLFLOW_LOGGING_LEVEL", "ERROR")
    mlflow_logger = logging.getLogger("mlflow")
    level = mlflow_logger.level
    try:
        quiet_third_party_output()
        assert os.environ["MLFLOW_LOGGING_LEVEL"] == "ERROR"
        assert os.environ["TQDM_DISABLE"] == "1" and os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] == "false"
    finally:
        mlflow_logger.setLevel(level)
