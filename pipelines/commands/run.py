"""``backorder run --exports DIR``: your own exports, from check to planner report, in one command.

check → ingest → as-of outputs → features (build, Feast apply, materialize) → train → promote
(every trained model, through the baseline gate) → report, into one data folder. Every step is the
code behind its own ``backorder`` command and skips work whose inputs are unchanged, so a re-run
after a failure resumes where it stopped, and a re-run on the same exports does nothing. Models
the data cannot train (``training.readiness``) are skipped with their shortfall; the as-of step
needs both the demand and the lead-time model, and the report the sku_location_risk champion.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pipelines.commands.settings_options import CONFIG_OPTION, command_settings

if TYPE_CHECKING:
    from pipelines.commands.train import TrainResult
    from settings import Settings
    from training.promotion import PromotionDecision
    from training.readiness import Readiness

STEPS = ("check", "ingest", "asof", "features", "train", "promote", "report")
RAN, UNCHANGED, SKIPPED = "ran", "unchanged", "skipped"
ASOF_MODELS = ("demand", "lead_time")
REPORT_MODELS = ("sku_location_risk",)
REPORT_STAMP = "run.json"
HORIZON = 14


class NothingToTrain(RuntimeError):
    """The exports cannot train any model; the message names each model and its shortfall."""


@dataclass(frozen=True)
class StepOutcome:
    """What one step did: ``ran``, found its inputs ``unchanged``, or was ``skipped`` (and why)."""

    step: str
    status: str
    detail: str


@dataclass
class RunOutcome:
    """Every step's outcome, the readiness the run acted on, the models trained and promoted."""

    readiness: Readiness | None = None
    steps: list[StepOutcome] = field(default_factory=list)
    trained: list[TrainResult] = field(default_factory=list)
    promotions: list[PromotionDecision] = field(default_factory=list)
    report: Path | None = None

    @property
    def changed_anything(self) -> bool:
        return any(step.status == RAN for step in self.steps)


def _check(settings: Settings, exports: Path, export_config: Path | None, replace: bool) -> tuple[Readiness, bool]:
    """Readiness of the exports and whether the data folder already holds exactly their ingest."""
    from contracts.ingest import export_identity
    from contracts.world_manifest import check_same_world, read_manifest
    from pipelines.commands.check import canonical_readiness, exports_readiness

    source, digest = export_identity(exports, export_config)
    manifest = read_manifest(settings.canonical_dir)
    if manifest is not None and (manifest.source, manifest.inputs_digest) == (source, digest):
        return canonical_readiness(settings.canonical_dir), True
    if not replace:
        check_same_world(settings.canonical_dir, source)  # refuse before the scratch ingest
    return exports_readiness(exports, export_config)[0], False


def _features(settings: Settings, use_asof: bool) -> StepOutcome:
    from features.feature_store import apply_definitions  # Feast imports take seconds: only here
    from pipelines.commands.features import BUILD_STAMP, materialize_latest, write_feature_tables

    stamp = settings.features_dir / BUILD_STAMP
    before = stamp.read_text() if stamp.exists() else None
    rows = write_feature_tables(settings, horizon=HORIZON, forecasts=None, asof=use_asof)
    registry = settings.feature_repo_dir / "registry.db"
    online_missing = settings.online_store == "sqlite" and not settings.online_store_path.exists()
    if before == stamp.read_text() and registry.exists() and not online_missing:
        return StepOutcome("features", UNCHANGED, "feature tables, Feast registry and online store up to date")
    apply_definitions(settings)
    end = materialize_latest(settings)
    counts = ", ".join(f"{name} {n:,}" for name, n in rows.items())
    return StepOutcome("features", RAN, f"{counts}; online store loaded up to {end:%Y-%m-%d}")


def _promote(settings: Settings, model: str) -> tuple[StepOutcome, PromotionDecision | None]:
    """The gate for ``model``'s challenger, unless it already decided on this challenger."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from pipelines.commands.promote import describe_decision, promote_model
    from training.tracking import CHALLENGER, alias_version

    try:
        challenger = MlflowClient().get_model_version_by_alias(model, CHALLENGER)
    except MlflowException:
        return StepOutcome("promote", SKIPPED, f"{model}: no challenger"), None
    if alias_version(model) == str(challenger.version):
        return StepOutcome("promote", UNCHANGED, f"{model}: v{challenger.version} is the champion"), None
    decided = sorted(k for k in challenger.tags if k.startswith("promotion_decision."))
    if decided:
        reason = json.loads(challenger.tags[decided[-1]])["reason"]
        return StepOutcome("promote", UNCHANGED, f"{model}: v{challenger.version} already judged ({reason})"), None
    decision = promote_model(settings, model)
    return StepOutcome("promote", RAN, describe_decision(decision)), decision


def _report(settings: Settings) -> tuple[StepOutcome, Path | None]:
    from contracts.world_manifest import read_manifest
    from pipelines.commands.features import BUILD_STAMP
    from pipelines.commands.report import write_report
    from training.tracking import alias_version

    champions = {name: alias_version(name) for name in ("sku_location_risk", "demand", "lead_time")}
    missing = [name for name in REPORT_MODELS if champions[name] is None]
    if missing:
        return StepOutcome("report", SKIPPED, f"no champion of {', '.join(missing)} (the report needs it)"), None
    manifest = read_manifest(settings.canonical_dir)
    build = json.loads((settings.features_dir / BUILD_STAMP).read_text())["inputs"]
    inputs = {"world": manifest.to_json() if manifest else None, "features": build, "champions": champions}
    out = settings.reports_dir / "latest"
    stamp = out / REPORT_STAMP
    index = out / "index.html"
    if index.exists() and stamp.exists() and json.loads(stamp.read_text()) == inputs:
        return StepOutcome("report", UNCHANGED, f"{index} is of the same data and champions"), index
    stamp.unlink(missing_ok=True)
    index = write_report(settings, out)
    stamp.write_text(json.dumps(inputs, indent=2, sort_keys=True))
    return StepOutcome("report", RAN, f"planner report: {index}"), index


def run_exports(
    settings: Settings,
    exports: Path,
    export_config: Path | None = None,
    replace: bool = False,
    say: Callable[[str], None] = print,
) -> RunOutcome:
    """Every step in order on ``exports``; raises ``NothingToTrain`` when no model can be trained."""
    import mlflow

    from pipelines.asof_outputs import describe_asof, write_asof_outputs
    from pipelines.commands.ingest import export_folder, format_report, ingest_world
    from pipelines.commands.train import MODEL_OF, describe_training, train_model

    mlflow.set_tracking_uri(settings.tracking_uri)
    mlflow.set_registry_uri(settings.tracking_uri)
    outcome = RunOutcome()

    def record(step: StepOutcome) -> None:
        outcome.steps.append(step)
        say(f"[{STEPS.index(step.step) + 1}/{len(STEPS)}] {step.step}: {step.status}: {step.detail}")

    if (folder := export_folder(settings, exports)) != exports:
        say(f"unpacked {exports.name} into {folder}")
        exports = folder
    ready, ingested = _check(settings, exports, export_config, replace)
    outcome.readiness = ready
    if not ready.trainable:
        raise NothingToTrain(
            "the exports can train no model: " + "; ".join(f"{m.model}: {', '.join(m.shortfall)}" for m in ready.models)
        )
    can = set(ready.trainable)
    record(StepOutcome("check", UNCHANGED if ingested else RAN,
                       "; ".join(m.describe() for m in ready.models)))

    if ingested:
        record(StepOutcome("ingest", UNCHANGED, f"{settings.canonical_dir} holds these exports"))
    else:
        report, rebuilt, retired = ingest_world(settings, exports, export_config, replace)
        detail = format_report(report) + (f"\n{rebuilt}" if rebuilt else "")
        if report.replaced_world is not None:
            detail += f"\nreplaced the world of {report.replaced_world}; retired: {', '.join(retired) or 'none'}"
        record(StepOutcome("ingest", RAN, detail))

    short = [m for m in ASOF_MODELS if m not in can]
    if short:
        record(StepOutcome("asof", SKIPPED, f"{', '.join(short)} cannot be trained: forecast and ETA features are NaN"))
    else:
        stamp = write_asof_outputs(settings)
        record(StepOutcome("asof", UNCHANGED if stamp.get("skipped") else RAN, describe_asof(stamp)))

    record(_features(settings, use_asof=not short))

    for name, model in MODEL_OF.items():
        if model not in can:
            record(StepOutcome("train", SKIPPED, ready.model(model).describe()))
            continue
        result = train_model(settings, name)
        outcome.trained.append(result)
        record(StepOutcome("train", RAN if result.registered else UNCHANGED, describe_training(result)))

    for result in outcome.trained:
        step, decision = _promote(settings, result.model_name)
        record(step)
        if decision is not None:
            outcome.promotions.append(decision)

    step, outcome.report = _report(settings)
    record(step)
    return outcome


def run(
    exports: Path = typer.Option(
        ..., help="Folder with one CSV, Parquet or spreadsheet export per table, or a zip archive of them."
    ),
    data_dir: Path | None = typer.Option(None, help="Data folder of the world (beats the root --data-dir)."),
    export_config: Path | None = typer.Option(None, help="Export description; default EXPORTS/export.yaml."),
    replace: bool = typer.Option(
        False, "--replace", help="Replace the world the data folder holds and retire its models."
    ),
    config: Path | None = CONFIG_OPTION,
) -> None:
    """Check, ingest, build features, train, promote and report on your own exports, skipping what is done."""
    settings = command_settings(config, data_dir)
    try:
        outcome = run_exports(settings, exports, export_config, replace, say=typer.echo)
    except NothingToTrain as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=1) from error
    if not outcome.changed_anything:
        typer.echo("nothing to do: the data folder is up to date with these exports")
    if outcome.report is not None:
        typer.echo(f"planner report: {outcome.report}")
