"""The monitoring summary (JSON-ready) and the HTML page that shows it beside Evidently's report,
with the planners' acceptance of the recommendations when there are decisions."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence

import pandas as pd

from monitoring.evidence import NOT_ENOUGH_DATA, Evidence
from monitoring.risk_check import ModelCheck

# Registered model name -> the training target of ``backorder train``.
TRAIN_TARGETS = {"backorder_risk": "risk", "demand": "demand", "lead_time": "lead-time"}


def retraining_plan(checks: Sequence[ModelCheck]) -> list[dict[str, object]]:
    """The models to retrain, each with its training target and the reasons."""
    return [
        {"model": c.model_name, "train_target": TRAIN_TARGETS.get(c.model_name), "reasons": c.reasons}
        for c in checks
        if c.retrain
    ]


def _drift_not_judged(models: Mapping[str, Mapping[str, object]]) -> dict[str, Evidence]:
    """Models whose drift verdict is "not enough data yet", with the evidence their window held."""
    drifts = {name: check.get("drift") or {} for name, check in models.items()}
    return {
        name: Evidence(**drift["evidence"])  # type: ignore[arg-type]
        for name, drift in drifts.items()
        if drift.get("verdict") == NOT_ENOUGH_DATA  # type: ignore[union-attr]
    }


def drift_not_judged(summary: Mapping[str, object]) -> list[str]:
    """One line per model whose drift was not judged yet for lack of logged days or lines."""
    return [
        f"drift of {name}: {NOT_ENOUGH_DATA} ({evidence.describe()}); nothing is retrained for drift until then"
        for name, evidence in _drift_not_judged(summary["models"]).items()  # type: ignore[arg-type]
    ]


def monitoring_summary(
    checks: Sequence[ModelCheck],
    context: Mapping[str, object],
    thresholds: Mapping[str, object],
) -> dict[str, object]:
    """Everything ``summary.json`` holds: context (window, versions), thresholds, checks, decision."""
    plan = retraining_plan(checks)
    models = {c.model_name: c.summary() for c in checks}
    decision = "retrain " + ", ".join(str(p["model"]) for p in plan) if plan else "no retraining needed"
    waiting = list(_drift_not_judged(models))
    if waiting:
        decision += f"; drift of {', '.join(waiting)}: {NOT_ENOUGH_DATA}"
    return {**context, "thresholds": dict(thresholds), "models": models, "retrain": plan, "decision": decision}


def render_html(
    summary: Mapping[str, object],
    evidently_html: str | None,
    performance_html: str | None = None,
    decision_rates: pd.DataFrame | None = None,
) -> str:
    """A page with the decision and per-model reasons, the planners' acceptance rates
    (``alerts.decisions.acceptance_rates``) and Evidently's reports embedded below."""
    esc = html.escape
    rows = []
    for name, check in summary["models"].items():  # type: ignore[union-attr]
        reasons = "<br>".join(esc(r) for r in check["reasons"]) or "none"
        verdict = "retrain" if check["retrain"] else "ok"
        rows.append(f"<tr><td>{esc(name)}</td><td>{verdict}</td><td>{reasons}</td></tr>")
    waiting = "".join(f"<p><b>{esc(line)}</b></p>" for line in drift_not_judged(summary))
    report = _embed(evidently_html, "nothing to compare")
    performance = _embed(performance_html, "no labelled outcomes with both classes yet")
    rates = (
        "<p>No planner decisions yet.</p>" if decision_rates is None or decision_rates.empty
        else decision_rates.to_html(index=False, escape=True, na_rep="", float_format="{:.2f}".format, border=0)
    )
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Backorder Radar monitoring</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{border:1px solid #ccc;padding:4px 8px}}
table{{border-collapse:collapse}}pre{{background:#f6f6f6;padding:1em;overflow:auto}}</style></head>
<body><h1>Backorder Radar monitoring</h1>
<p><b>Decision:</b> {esc(str(summary["decision"]))}</p>
<table><tr><th>model</th><th>verdict</th><th>reasons</th></tr>{"".join(rows)}</table>
<h2>Planner decisions on the recommendations</h2>{rates}
<h2>Summary</h2><pre>{esc(json.dumps(summary, indent=2, default=str))}</pre>
<h2>Data and prediction drift (Evidently)</h2>{waiting}{report}
<h2>Performance on labelled outcomes (Evidently)</h2>{performance}
</body></html>
"""


def _embed(page: str | None, missing: str) -> str:
    if not page:
        return f"<p>No Evidently report ({html.escape(missing)}).</p>"
    return f'<iframe style="width:100%;height:1800px;border:0" srcdoc="{html.escape(page)}"></iframe>'
