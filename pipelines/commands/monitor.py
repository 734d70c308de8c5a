"""``backorder monitor``: drift and decay of the served models, and the retraining they call for.

Reads the prediction log, the champion's held-out reference from the registry and the outcomes in
the canonical tables; writes ``monitor.html`` (decision, reasons, Evidently's drift report) and
``summary.json``; retrains what drifted or decayed, or with ``--dry-run`` only says what it would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pipelines.commands.settings_options import CONFIG_OPTION, command_settings

if TYPE_CHECKING:
    import pandas as pd

    from pipelines.commands.train import TrainResult
    from settings import Settings

RISK_MODEL = "backorder_risk"
EXPERIMENT = "monitoring"


@dataclass(frozen=True)
class Retraining:
    """One model monitoring flagged: why, and what retraining it gave (nothing on a dry run)."""

    model_name: str
    train_target: str
    reasons: tuple[str, ...]
    result: TrainResult | None = None
    error: str | None = None


@dataclass(frozen=True)
class MonitorVerdict:
    """The outcome of one monitoring pass: the summary written, the models flagged, the files."""

    summary: dict[str, object]
    retraining: tuple[Retraining, ...]
    dry_run: bool
    report_path: Path
    summary_path: Path

    @property
    def failed(self) -> bool:
        """A flagged model could not be retrained."""
        return any(item.error is not None for item in self.retraining)


def _canonical(settings: Settings, names: tuple[str, ...]) -> dict[str, pd.DataFrame] | None:
    from pipelines.tables import missing_tables, read_canonical_tables

    if missing_tables(settings.canonical_dir, names):
        return None
    return read_canonical_tables(settings.canonical_dir, names)


def run_monitoring(
    settings: Settings, window_days: int | None = None
) -> tuple[dict[str, object], str, str | None]:
    """Summary, Evidently drift and performance reports (HTML) of one monitoring pass; nothing written.

    Raises ``MissingInput`` when there is no prediction log, champion or reference to compare.
    """
    import pandas as pd
    from mlflow.exceptions import MlflowException

    from contracts.errors import MissingInput
    from monitoring.drift import DriftThresholds
    from monitoring.evidence import MinimumWindow
    from monitoring.outcomes import join_outcomes, line_outcomes, outcomes_as_of
    from monitoring.performance_report import classification_report_html
    from monitoring.prediction_window import PREDICTION_COLUMN, current_window, logged_lines
    from monitoring.report import monitoring_summary
    from monitoring.retraining import PerformanceThresholds
    from monitoring.risk_check import ModelCheck, check_risk_model
    from monitoring.target_drift import check_demand_model, check_lead_time_model
    from serving.prediction_log import read_prediction_log
    from settings.sections import MonitoringSettings
    from training.tracking import CHAMPION, alias_version, configure, load_reference

    cfg = settings.monitoring
    if window_days is not None:  # validated again: the window must still hold the minimum days
        cfg = MonitoringSettings.model_validate({**cfg.model_dump(), "window_days": window_days})
    days = cfg.window_days
    minimum_window = MinimumWindow(cfg.min_window_days, cfg.min_window_rows)
    drift_thresholds = DriftThresholds(cfg.column_psi, cfg.drifted_share, cfg.prediction_psi)
    performance_thresholds = PerformanceThresholds(
        cfg.max_pr_auc_drop, cfg.min_labelled, cfg.min_positives, cfg.max_calibration_gap
    )

    log = read_prediction_log(settings.prediction_log_dir)
    if log.empty:
        raise MissingInput(
            "prediction log", "score orders through the service first (or run `backorder demo`)",
            settings.prediction_log_dir,
        )
    window = current_window(logged_lines(log), days)

    configure(settings.tracking_uri, settings.artifact_root, EXPERIMENT)
    champion = alias_version(RISK_MODEL)
    if champion is None:
        raise MissingInput(
            f"champion of {RISK_MODEL!r}",
            f"run `backorder train risk` then `backorder promote --model {RISK_MODEL}`",
            settings.tracking_uri,
        )
    try:
        reference = load_reference(RISK_MODEL, CHAMPION)
    except (MlflowException, OSError) as error:
        raise MissingInput(
            f"reference frame of champion v{champion} of {RISK_MODEL!r} ({error})",
            f"run `backorder train risk --force` then `backorder promote --model {RISK_MODEL}`",
        ) from error

    outcomes = _canonical(settings, ("order_lines",))
    labelled, as_of = None, None
    if outcomes is not None:
        as_of = outcomes_as_of(outcomes["order_lines"])
        labelled = join_outcomes(window, line_outcomes(outcomes["order_lines"], as_of))
    risk, drift = check_risk_model(
        reference, window, labelled, drift_thresholds, performance_thresholds, minimum_window
    )
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


def decision_rates(settings: Settings) -> pd.DataFrame | None:
    """The planners' acceptance rates from the alert database (None when it cannot be opened)."""
    from datetime import timedelta

    from alerts.decisions import acceptance_rates, decision_table
    from alerts.delivery import utc_now
    from alerts.schema import open_database

    try:
        engine = open_database(settings.alerts_database_url)
    except Exception:  # the report is written without them: monitoring does not need the alert database
        return None
    try:
        settle = timedelta(hours=settings.alerts.expire_after_hours)
        return acceptance_rates(decision_table(engine, utc_now(), settle))
    finally:
        engine.dispose()


def write_monitoring(
    settings: Settings, out: Path, dry_run: bool, window_days: int | None = None
) -> MonitorVerdict:
    """One monitoring pass: retrain what drifted or decayed (or only name it when ``dry_run``),
    write ``out/monitor.html`` and ``out/summary.json``.

    Raises ``MissingInput`` when there is no log, champion or reference to compare. A model whose
    retraining fails is reported in the verdict, not raised: the others are still retrained.
    """
    from monitoring.report import render_html

    summary, drift_html, performance_html = run_monitoring(settings, window_days)
    summary["dry_run"] = dry_run
    summary["retrained"] = retrained = []
    verdicts = []
    for item in summary["retrain"]:  # type: ignore[union-attr]
        flagged = Retraining(str(item["model"]), str(item["train_target"]), tuple(item["reasons"]))
        if not dry_run:
            flagged = _retrain(settings, flagged)
            retrained.append(
                {"model": flagged.model_name, "error": flagged.error}
                if flagged.result is None
                else {"model": flagged.model_name, "version": flagged.result.version,
                      "registered": flagged.result.registered}
            )
        verdicts.append(flagged)
    out.mkdir(parents=True, exist_ok=True)
    summary_path, report_path = out / "summary.json", out / "monitor.html"
    summary_path.write_text(json.dumps(summary, indent=2, default=str))
    report_path.write_text(render_html(summary, drift_html, performance_html, decision_rates(settings)))
    return MonitorVerdict(summary, tuple(verdicts), dry_run, report_path, summary_path)


def _retrain(settings: Settings, flagged: Retraining) -> Retraining:
    """``flagged`` retrained with ``force``; a missing input or bad data is kept as its error."""
    from dataclasses import replace

    from contracts.errors import MissingInput
    from pipelines.commands import train

    try:
        return replace(flagged, result=train.train_model(settings, flagged.train_target, force=True))
    except (MissingInput, ValueError) as error:
        return replace(flagged, error=str(error))


def describe_verdict(verdict: MonitorVerdict) -> list[str]:
    """The lines ``backorder monitor`` prints: each flagged model, what was done, the files written."""
    from monitoring.report import drift_not_judged
    from pipelines.commands.train import describe_training

    waiting = drift_not_judged(verdict.summary)
    lines = list(waiting)
    for item in verdict.retraining:
        reasons = "; ".join(item.reasons)
        if verdict.dry_run:
            lines.append(f"would retrain {item.model_name} (backorder train {item.train_target}): {reasons}")
        elif item.result is not None:
            lines.append(f"retrained {item.model_name} ({reasons}): {describe_training(item.result)}")
        else:
            lines.append(f"error: retraining {item.model_name} failed: {item.error}")
    if not verdict.retraining:
        judged = "no decay beyond the thresholds" if waiting else "no drift or decay beyond the thresholds"
        lines.append(f"no retraining needed: {judged}")
    lines.append(f"wrote {verdict.report_path} and {verdict.summary_path}")
    return lines


def monitor(
    out: Path = typer.Option(..., help="Folder for monitor.html and summary.json."),
    dry_run: bool = typer.Option(
        False, "--dry-run/--retrain", help="Only say what would be retrained, or retrain it (default)."
    ),
    window_days: int | None = typer.Option(None, min=1, help="Days of log to check (default: settings)."),
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Check drift and performance of the served models; retrain those that drifted or decayed.

    Drift is judged only once the log holds ``min_window_days`` days and ``min_window_rows`` lines;
    before that it reports "not enough data yet" and retrains nothing for drift.
    """
    verdict = write_monitoring(command_settings(config), out, dry_run, window_days)
    for line in describe_verdict(verdict):
        typer.echo(line)
    if verdict.failed:
        raise typer.Exit(code=2)
