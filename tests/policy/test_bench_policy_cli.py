"""`backorder benchmark policy` as a user runs it, on a tiny world (history 100 days, replay 40)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from pipelines.cli import app

TINY = ["--skus", "6", "--locations", "2", "--suppliers", "2", "--days", "140", "--history-days", "100"]
FIGURES = {
    "backordered_units",
    "fill_rate",
    "lines_late",
    "avg_days_late",
    "avg_inventory_value",
    "total_cost",
    "cost",
}


def test_writes_both_policies_figures_in_the_documented_form(tmp_path) -> None:
    out = tmp_path / "RESULT.json"
    result = CliRunner().invoke(
        app, ["benchmark", "policy", "--seed", "7", "--out", str(out), "--substitute", *TINY]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text())
    assert set(figures) == {"seed", "days", "policies"}
    assert figures["seed"] == 7 and figures["days"] == 40  # replayed days only
    assert set(figures["policies"]) == {"baseline", "model", "model_substitute"}
    assert isinstance(figures["policies"]["model_substitute"].pop("substituted_units"), int)
    for metrics in figures["policies"].values():
        assert set(metrics) == FIGURES
        assert set(metrics["cost"]) == {
            "holding",
            "backorder_penalty",
            "transfer",
            "expedite",
            "purchase",
        }
        assert 0 < metrics["fill_rate"] <= 1
        assert abs(metrics["total_cost"] - sum(metrics["cost"].values())) < 1e-6 * max(
            1.0, metrics["total_cost"]
        )
    assert "models trained on rows up to 2024-04-09" in result.output  # day 99: the last of the history


def test_history_must_leave_days_to_replay(tmp_path) -> None:
    args = ["benchmark", "policy", "--out", str(tmp_path / "R.json"), "--days", "50", "--history-days", "50"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0
    assert "--history-days" in result.output
