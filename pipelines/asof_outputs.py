"""The as-of model outputs under ``<data>/asof/``: written by ``backorder features asof`` (and the
demo and ``backorder run``), extended when the canonical tables only grew, and handed to the feature
build only while they were made from the current canonical tables."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from contracts.fingerprint import file_digest

if TYPE_CHECKING:
    from settings import Settings
    from training.recipes import AsOfJob
    from training.world_asof import AsOfOutput

ASOF_STAMP = "asof.json"
ASOF_FILES = {"forecasts": "demand_forecasts.parquet", "po_etas": "po_etas.parquet"}
ASOF_MODELS = {"forecasts": "demand_model.joblib", "po_etas": "lead_time_model.joblib"}  # latest refits


def _asof_tables() -> tuple[str, ...]:
    from training.world_datasets import DEMAND_TABLES, LEAD_TIME_TABLES  # not world_asof: no model imports

    return tuple(dict.fromkeys(DEMAND_TABLES + LEAD_TIME_TABLES))


def _canonical_digest(settings: Settings, names: tuple[str, ...]) -> str:
    from pipelines.tables import table_path

    return file_digest([p for n in names if (p := table_path(settings.canonical_dir, n)).exists()])


def _previous_asof(settings: Settings, last: dict[str, object]) -> dict[str, AsOfOutput]:
    """The outputs of the last run with what extending them needs (none from a stamp without it)."""
    import joblib
    import pandas as pd

    from training.world_asof import AsOfOutput

    state = last.get("state", {})
    return {
        name: AsOfOutput(
            rows=pd.read_parquet(settings.asof_dir / ASOF_FILES[name]),
            last=pd.Timestamp(state[name]["last"]),
            digest=state[name]["digest"],
            models=joblib.load(settings.asof_dir / ASOF_MODELS[name]),
            recipe=state[name].get("recipe", ""),
        )
        for name in ASOF_FILES
        if name in state
    }


def write_asof_outputs(settings: Settings, job: AsOfJob | None = None, force: bool = False) -> dict[str, object]:
    """As-of demand forecasts and PO ETAs of the whole history into ``settings.asof_dir``.

    Returns the step's stamp (rows, seconds, refits); when the canonical tables and ``job`` (default
    ``AsOfJob()``) are those of the last run, nothing is recomputed and the stamp comes back with
    ``skipped``. When the tables only grew since a run of the same ``job`` (rows up to its last day
    unchanged), the outputs are extended: only new origins and PO lines are computed, each with
    the last run's refit model when no refit is due (``mode`` says which, per output, and
    ``added`` what was computed). ``force`` recomputes everything. Raises ``MissingInput`` when a
    canonical table is absent.
    """
    import joblib

    from pipelines.tables import read_canonical_tables
    from training.recipes import LEAD_TIME, LEAD_TIME_RECIPES
    from training.world_asof import FULL, AsOfJob, asof_demand_forecasts, asof_po_etas
    from training.world_datasets import DAILY_DEMAND_COLUMNS
    from training.world_models import spec_hash

    job = job or AsOfJob()
    stamp_path = settings.asof_dir / ASOF_STAMP
    # The ETAs' refits follow the lead-time recipe chosen at LEAD_TIME's cut-offs among LEAD_TIME_RECIPES.
    recipe = spec_hash(job, lead_time=LEAD_TIME, lead_time_recipes=LEAD_TIME_RECIPES)
    canonical = _canonical_digest(settings, _asof_tables())
    files = [settings.asof_dir / name for name in [*ASOF_FILES.values(), *ASOF_MODELS.values()]]
    last = json.loads(stamp_path.read_text()) if stamp_path.exists() and all(p.exists() for p in files) else None
    if not force and last is not None and (last["canonical"], last["recipe"]) == (canonical, recipe):
        return {**last, "skipped": True}
    previous = _previous_asof(settings, last) if not force and last is not None and last["recipe"] == recipe else {}
    tables = read_canonical_tables(settings.canonical_dir, _asof_tables(), DAILY_DEMAND_COLUMNS)
    started = time.perf_counter()
    if settings.engine == "dask":
        from training.cluster import training_client

        with training_client(settings) as client:
            demand = asof_demand_forecasts(tables, job, previous.get("forecasts"), client, settings.dask_partitions)
    else:
        demand = asof_demand_forecasts(tables, job, previous.get("forecasts"))
    outputs = {"forecasts": demand}
    demand_seconds = time.perf_counter() - started
    outputs["po_etas"] = asof_po_etas(tables, job, previous.get("po_etas"))
    lead_time_seconds = time.perf_counter() - started - demand_seconds
    settings.asof_dir.mkdir(parents=True, exist_ok=True)
    stamp_path.unlink(missing_ok=True)  # written last: a half-written step is redone
    for name, output in outputs.items():
        if output.unchanged:  # its files already hold these rows and models
            continue
        staging = (settings.asof_dir / ASOF_FILES[name]).with_suffix(".tmp")
        output.rows.to_parquet(staging, index=False)
        staging.replace(settings.asof_dir / ASOF_FILES[name])
        joblib.dump(output.models, settings.asof_dir / ASOF_MODELS[name])
    why = {
        name: "forced"
        if force
        else f"lead-time recipe {previous[name].recipe or 'unrecorded'} -> {outputs[name].recipe}"
        if name in previous and previous[name].recipe != outputs[name].recipe
        else f"canonical rows up to {previous[name].last.date()} changed"
        if name in previous
        else "no earlier outputs of this recipe"
        for name in outputs
    }
    stamp = {
        "canonical": canonical,
        "recipe": recipe,
        "job": asdict(job),
        "mode": {name: output.mode for name, output in outputs.items()},
        "full_because": {name: why[name] for name, output in outputs.items() if output.mode == FULL},
        "added": {name: output.added for name, output in outputs.items()},
        "rows": {name: len(output.rows) for name, output in outputs.items()},
        "refits": {
            "demand": int(outputs["forecasts"].rows["refit"].nunique()),
            "lead_time": int(outputs["po_etas"].rows["refit"].nunique()),
        },
        "seconds": {"demand": round(demand_seconds, 1), "lead_time": round(lead_time_seconds, 1)},
        "engine": settings.engine,
        "state": {
            name: {"last": output.last.isoformat(), "digest": output.digest, "recipe": output.recipe}
            for name, output in outputs.items()
        },
    }
    stamp_path.write_text(json.dumps(stamp, indent=2))
    return stamp


def asof_inputs(settings: Settings) -> dict[str, Path]:
    """The as-of files a build uses (none if ``features asof`` never ran).

    Stale ones (made from other canonical tables) raise ``MissingInput``: the current ones are missing.
    """
    from contracts.errors import MissingInput

    stamp_path = settings.asof_dir / ASOF_STAMP
    if not stamp_path.exists():
        return {}
    if json.loads(stamp_path.read_text())["canonical"] != _canonical_digest(settings, _asof_tables()):
        raise MissingInput(
            "as-of outputs of the current canonical tables",
            "run `backorder features asof` (or build with --no-asof)",
            settings.asof_dir,
        )
    return {name: settings.asof_dir / file for name, file in ASOF_FILES.items()}


def describe_asof(stamp: dict[str, object]) -> str:
    """One line about an as-of run (or its skip) for the command line and the demo."""
    if stamp.get("skipped"):
        return "as-of outputs unchanged (same canonical tables and schedule)"
    rows, refits, seconds = stamp["rows"], stamp["refits"], stamp["seconds"]
    mode, added = stamp["mode"], stamp["added"]
    demand, lead_time = added["forecasts"], added["po_etas"]
    return (
        f"demand forecasts {rows['forecasts']:,} rows ({refits['demand']} refits, {seconds['demand']:.0f} s, "
        f"{mode['forecasts']}: {demand['origins']} origins and {demand['refits']} refits computed); "
        f"PO ETAs {rows['po_etas']:,} rows ({refits['lead_time']} refits, {seconds['lead_time']:.0f} s, "
        f"{mode['po_etas']}: {lead_time['po_lines']:,} lines and {lead_time['refits']} refits computed)"
    )
