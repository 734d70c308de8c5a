"""``backorder monitor``: drift and decay of the served models, and the retraining they call for.

Reads the prediction log, the champion's held-out reference from the registry and the outcomes in
the canonical tables; writes ``monitor.html`` (decision, reasons, Evidently's drift report) and
``summary.json``; retrains what drifted or decayed, or with ``--dry-run`` only says what it would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import typer
from mlflow.exceptions import MlflowException

from monitoring.drift import DriftThresholds
from monitoring.outcomes import join_outcomes, line_outcomes, outcomes_as_of
from monitoring.performance_report import classification_report_html
from monitoring.prediction_window import PREDICTION_COLUMN, current_window, logged_lines
from monitoring.report import monitoring_summary, render_html
from monitoring.retraining import PerformanceThresholds
from monitoring.risk_check import ModelCheck, check_risk_model
from monitoring.target_drift import check_demand_model, check_lead_time_model
from pipelines.commands.features import read_canonical_tables
from serving.prediction_log import read_prediction_log
from settings import Settings, load_settings
from training.tracking import CHAMPION, alias_version, configure, load_reference

RISK_MODEL = "backorder_risk"
EXPERIMENT = "monitoring"


class MonitoringInputError(RuntimeError):
    """Something monitoring cannot run without (no log, no champion)."""


def _canonical(settings: Settings, names: tuple[str, ...]) -> dict[str, pd.DataFrame] | None:
    if not all((settings.canonical_dir / f"{n}.parquet").exists() for n in names):
        return None
    return read_canonical_tables(settings.canonical_dir, names)


def run_monitoring(
    settings: Settings, window_days: int | None = None
) -> tuple[dict[str, object], str, str | None]:
    """Summary, Evidently drift and performance reports (HTML) of one monitoring pass; nothing written."""
    cfg = settings.monitoring
    days = window_days or cfg.window_days
    drift_thresholds = DriftThresholds(cfg.column_psi, cfg.drifted_share, cfg.prediction_psi)
    performance_thresholds = PerformanceThresholds(
        cfg.max_pr_auc_drop, cfg.min_labelled, cfg.min_positives, cfg.max_calibration_gap
    )

    log = read_prediction_log(settings.prediction_log_dir)
    if log.empty:
        raise MonitoringInputError(
            f"no prediction log at {settings.prediction_log_dir}: nothing has been scored yet"
        )
    window = current_window(logged_lines(log), days)

    configure(settings.tracking_uri, settings.artifact_root, EXPERIMENT)
    champion = alias_version(RISK_MODEL)
    if champion is None:
        raise MonitoringInputError(
            f"no champion of {RISK_MODEL!r} in the registry at {settings.tracking_uri}: "
            "train and promote one first"
        )
    try:
        reference = load_reference(RISK_MODEL, CHAMPION)
    except (MlflowException, OSError) as error:
        raise MonitoringInputError(
            f"champion v{champion} of {RISK_MODEL!r} has no reference frame to compare with: {error}"
        ) from error

    outcomes = _canonical(settings, ("order_lines",))
    labelled, as_of = None, None
    if outcomes is not None:
        as_of = outcomes_as_of(outcomes["order_lines"])
        labelled = join_outcomes(window, line_outcomes(outcomes["order_lines"], as_of))
    risk, drift = check_risk_model(reference, window, labelled, drift_thresholds, performance_thresholds)
    risk.details["labelled_rows"] = 0 if labelled is None else int(len(labelled))
    checks = [risk]
    for name, needs in (("demand", ("order_lines", "orders")), ("lead_time", ("purchase_orders",))):
        tables = _canonical(settings, needs) if as_of is not None else None
        if alias_version(name) is None:
            checks.append(ModelCheck(name, False, [], {"skipped": "no champion registered"}))
        elif tables is None:
            checks.append(ModelCheck(name, False, [], {"skipped": f"canonical table(s) {list(needs)} missing"}))
        elif name == "demand":
            checks.append(check_demand_model(tables["order_lines"], tables["orders"], as_of, days, drift_thresholds))
        else:
            checks.append(check_lead_time_model(tables["purchase_orders"], as_of, days, drift_thresholds))

    context = {
        "generated_at": datetime.now(UTC).isoformat(),
        "window": {
            "days": days,
            "start": window["logged_at"].min().isoformat() if len(window) else None,
            "end": window["logged_at"].max().isoformat() if len(window) else None,
            "lines": int(len(window)),
        },
        "champion_version": champion,
        "logged_model_versions": {str(k): int(v) for k, v in window["model_version"].value_counts().items()},
        "outcomes_as_of": None if as_of is None else pd.Timestamp(as_of).isoformat(),
    }
    summary = monitoring_summary(checks, context, cfg.model_dump())
    performance_html = None
    if labelled is not None and len(labelled) and "label" in reference.columns:
        scored = labelled.rename(columns={PREDICTION_COLUMN: "prediction"})
        performance_html = classification_report_html(reference, scored)
    return summary, drift.report.get_html_str(as_iframe=False), performance_html


def write_monitoring(
    settings: Settings,
    out: Path,
    dry_run: bool,
    window_days: int | None = None,
    echo: Callable[[str], None] = typer.echo,
) -> dict[str, object]:
    """One monitoring pass: retrain what drifted or decayed (or only say so when ``dry_run``),
    write ``out/monitor.html`` and ``out/summary.json``; returns the summary.

    Raises MonitoringInputError when there is no log, champion or reference to compare.
    """
    summary, drift_html, performance_html = run_monitoring(settings, window_days)
    summary["dry_run"] = dry_run
    summary["retrained"] = retrained = []
    for item in summary["retrain"]:  # type: ignore[union-attr]
        reasons = "; ".join(item["reasons"])
        if dry_run:
            echo(f"would retrain {item['model']} (backorder train {item['train_target']}): {reasons}")
            continue
        # Lazy: the training stack is imported only when a retrain is due.
        from pipelines.commands.train import MissingPrerequisite, train_model

        echo(f"retraining {item['model']}: {reasons}")
        try:
            outcome = train_model(settings, str(item["train_target"]), force=True)
        except (MissingPrerequisite, ValueError) as error:
            echo(f"error: retraining {item['model']} failed: {error}")
            retrained.append({"model": item["model"], "error": str(error)})
            continue
        echo(outcome)
        retrained.append({"model": item["model"], "outcome": outcome})
    if not summary["retrain"]:
        echo("no retraining needed: no drift or decay beyond the thresholds")
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    (out / "monitor.html").write_text(render_html(summary, drift_html, performance_html))
    echo(f"wrote {out / 'monitor.html'} and {out / 'summary.json'}")
    return summary


def monitor(
    out: Path = typer.Option(..., help="Folder for monitor.html and summary.json."),
    dry_run: bool = typer.Option(
        False, "--dry-run/--retrain", help="Only say what would be retrained, or retrain it (default)."
    ),
    window_days: int | None = typer.Option(None, min=1, help="Days of log to check (default: settings)."),
    config: Path | None = typer.Option(None, help="Settings YAML file."),
) -> None:
    """Check drift and performance of the served models; retrain those that drifted or decayed."""
    try:
        summary = write_monitoring(load_settings(config), out, dry_run, window_days)
    except MonitoringInputError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from error
    if any("error" in item for item in summary["retrained"]):  # type: ignore[union-attr]
        raise typer.Exit(code=2)
